"""Many phrases as one fast regular expression: their alternation, factored as a trie.

Python's ``re`` tries every branch of ``a|b|c`` at every position of the text, so the
alternation of hundreds of outlet names or cues costs hundreds of attempts per character.
Factored by common prefixes (``dictator(?:ship|s)?``), a position that starts no phrase
fails on its first character: written here because ``re`` has no such optimisation and
the gain on long texts is about tenfold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: The trie key marking that a phrase ends at a node.
_END = ""
#: Atoms tried after the other continuations of a node: a run of whitespace (before the
#: next word of a phrase), and last a phrase-final wildcard, which would otherwise end the
#: match before a longer phrase is tried.
_LATE = {r"\s+": 1, r"\w*": 2}


def trie_alternation(phrases: Iterable[Sequence[str]]) -> str:
    r"""One regex matching each phrase, preferring the longest at a position.

    Args:
        phrases: each phrase as a sequence of regex atoms (an escaped character, or a
            pattern such as ``\s+`` or a final ``\w*``).

    Returns:
        A non-capturing group. At a position it matches what an alternation of the
        phrases ordered longest first matches, trying the longer continuation first and
        backtracking to shorter ones when what follows fails.

    Example:
        >>> import re
        >>> pattern = re.compile(trie_alternation([list("cat"), list("cats"), list("dog")]))
        >>> pattern.findall("cats and dogs")
        ['cats', 'dog']
    """
    root: dict = {}
    for phrase in phrases:
        node = root
        for atom in phrase:
            node = node.setdefault(atom, {})
        node[_END] = {}
    return _group(root) if root else "(?!)"


def _group(node: dict) -> str:
    """The regex of a trie node's continuations; ends here last (optional) if it may."""
    children = sorted((atom for atom in node if atom != _END),
                      key=lambda atom: (_LATE.get(atom, 0), atom))
    branches = [atom + _group(node[atom]) for atom in children]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if _END in node else body
