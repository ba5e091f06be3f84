"""Every lab notebook runs top to bottom in quick mode (GENMODELS_QUICK=1)."""
import json
import os
import sys
from pathlib import Path

import pytest

import genmodels as gm

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_five_lab_notebooks_are_there():
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_"]


def _require_data(path):
    """Skip when a data set the notebook loads is not installed locally."""
    text = path.read_text()
    loaders = [name for name in ("load_mnist", "load_fashion_mnist", "load_binarized_mnist") if name in text]
    for name in loaders:
        loader = getattr(gm.datasets, "load_mnist" if name == "load_binarized_mnist" else name)
        try:
            loader(download=False, subset=10)
        except gm.datasets.DatasetNotFoundError:
            pytest.skip(f"{name.replace('load_', '')} is not installed locally")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path, tmp_path, monkeypatch):
    _require_data(path)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[1].cell_type == "code"
    assert 'QUICK = os.environ.get("GENMODELS_QUICK") == "1"' in nb.cells[1].source
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), \
        "notebooks are committed without outputs"
    # the kernel inherits this environment: quick mode, no display, and the
    # genmodels under test on its path
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(gm.__file__)))
    monkeypatch.setenv("GENMODELS_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
    # a kernel spec for this very interpreter, whatever "python3" means elsewhere
    spec = tmp_path / "jupyter" / "kernels" / "genmodels-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "genmodels test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="genmodels-test",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()       # raises CellExecutionError on the first failing cell
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert not errors
