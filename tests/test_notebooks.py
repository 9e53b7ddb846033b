"""The notebooks run top to bottom, and are committed without outputs."""

import os

import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_explore_seeds.ipynb", "02_compare_outlets.ipynb",
                                           "03_your_corpus.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_only_stance_and_display_libraries(path):
    allowed = {"os", "pathlib", "tempfile", "pandas", "IPython.display", "stance", "pypdf"}
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines() if cell.cell_type == "code" else ():
            if line.startswith(("import ", "from ")):
                assert line.split()[1] in allowed, f"{path.name}: {line}"


@pytest.fixture(scope="module")
def kernel(seed_run_dir):
    """One python3 kernel (this interpreter) for every notebook, started in notebooks/.

    Importing torch and compiling UMAP take most of a notebook's time; sharing the kernel
    pays that once. Each notebook starts with ``%reset -f``, so none sees another's names.
    """
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    # The seed notebooks find the shared seed run there instead of running it again.
    env = {**os.environ, "STANCE_OUTPUT_DIR": str(seed_run_dir.parents[2])}
    km.start_kernel(cwd=str(ROOT / "notebooks"), env=env)
    yield km
    km.shutdown_kernel(now=True)


@pytest.mark.integration
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, kernel):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell("%reset -f"))
    # a cell that raises fails the test with the cell and its traceback
    NotebookClient(notebook, km=kernel, timeout=600).execute()
