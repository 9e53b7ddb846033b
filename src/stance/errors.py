"""The one exception type for mistakes a user can fix; the CLI prints it as one line."""


class StanceError(Exception):
    """A user-facing error: bad config, bad corpus, missing model.

    The message says what was expected, what was found, and what to do.
    Several problems may be carried at once; each is one line.
    """

    def __init__(self, *problems: str):
        if not problems:
            raise ValueError("StanceError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(problems))

    def __reduce__(self):
        # one problem per line after pickling too (errors raised in forked workers)
        return type(self), self.problems
