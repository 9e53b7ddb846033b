"""The package's shape: imports flow one way between layers, and no module imports in a circle."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_import_contract_holds():
    # pyproject.toml's [tool.importlinter]: cli > api > run > report > topics | framing |
    # analysis > corpus | embed > data > config > progress | errors
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 1 kept, 0 broken." in done.stdout


def test_no_module_imports_in_a_circle():
    # every import counts, those inside functions too: a lazy import is still a dependency
    import grimp

    graph = grimp.build_graph("stance")
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    circles = []
    for start in sorted(imports):
        path, seen = [start], {start}
        stack = [iter(sorted(imports[start]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                seen.discard(path.pop())
                continue
            if nxt == start:
                circles.append(" -> ".join([*path, start]))
            elif nxt not in seen and nxt > start:  # each circle once, from its least module
                path.append(nxt)
                seen.add(nxt)
                stack.append(iter(sorted(imports[nxt])))
    assert circles == []
