"""The notebooks in notebooks/: each is the notebook its build script writes, committed executed with
its figures, and runs without error on reduced grids (JAXMOTOR_REDUCED=1).

Notebooks read ``os.environ.get("JAXMOTOR_REDUCED")`` to shrink their grids under CI; a user running
them by hand gets the full figures. The documentation site renders the committed outputs
(docs/hooks/jaxmotor_docs.py), so a notebook edited in its script but not rebuilt and re-executed
would show stale code: the first two tests catch that.
"""

import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]



def build_cells(path: Path) -> list:
    """The cells ``notebooks/build_<name>.py`` writes (its ``CELLS``), imported without running its
    ``main``."""
    script = path.with_name(f"build_{path.stem}.py")
    spec = importlib.util.spec_from_file_location(f"_build_{path.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CELLS


def test_every_notebook_has_a_build_script_and_every_script_a_notebook():
    scripts = {p.name[len("build_"):-len(".py")] for p in FOLDER.glob("build_*.py")}
    assert scripts == set(IDS)
    assert len(IDS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_what_its_build_script_writes(path):
    committed = nbformat.read(path, as_version=4).cells
    built = build_cells(path)
    assert [c.cell_type for c in committed] == [c.cell_type for c in built], \
        f"rebuild: python notebooks/build_{path.stem}.py, then execute it"
    for i, (have, want) in enumerate(zip(committed, built)):
        assert have.source == want.source, (f"cell {i} ({have.cell_type}) differs from "
                                            f"notebooks/build_{path.stem}.py: rebuild and execute it")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_committed_executed_with_its_figures(path):
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "not every code cell was executed"
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure in the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("JAXMOTOR_REDUCED", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
