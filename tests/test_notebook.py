"""The evaluation notebook runs top to bottom on the shared wiki pages, draws its figures, and is
committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "retrieval_evaluation.ipynb"
SHARED_URCF = ROOT.parent / "shared" / "corpus" / "urcf"


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(code_cells(nb)) if c.outputs or c.execution_count is not None]
    assert not dirty, f"code cells {dirty} carry outputs; strip them before committing"


def test_notebook_uses_a_non_interactive_backend_before_pyplot():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in code_cells(nb))
    assert nb.metadata.kernelspec.name == "python3"
    assert 'matplotlib.use("Agg")' in source
    assert source.index('matplotlib.use("Agg")') < source.index("import matplotlib.pyplot")


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(not SHARED_URCF.is_dir(), reason="needs the shared wiki pages in ../shared/corpus/urcf")
def test_notebook_executes_every_cell_and_draws_its_figures(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("WIKIDESK_ROOT", str(ROOT))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for c in code_cells(nb) for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4, "hit@k curves, per-question comparison, per-kind bars, confidence histogram"
    text = "\n".join(o.get("text", "") + o.get("data", {}).get("text/markdown", "") for o in outputs)
    for method in ("bm25", "bm25f", "chars", "rrf", "wikidesk"):
        assert f"| {method} " in text or f"{method}:" in text, method
    assert "heldout" in text and "min_confidence" in text
