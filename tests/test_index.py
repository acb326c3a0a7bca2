"""The saved index: round trip, atomic publication, no pickle, no scikit-learn at query time,
staleness and damage reported as IndexProblem (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from wikidesk import index as index_mod
from wikidesk.config import Config
from wikidesk.errors import IndexProblem
from wikidesk.index import (
    FORMAT_VERSION,
    SERVING,
    IndexParams,
    current_version,
    load_index,
    save_index,
    staleness,
)
from wikidesk.search import plain_bm25
from wikidesk.service import Wikidesk, build, open_index

QUERIES = [
    "which python module should I load?",
    "gpu job script sbatch",
    "python/gcc/3.10",
    "scratch files deleted",
    "moving data with rsync",
]


@pytest.fixture
def wiki_config(tmp_path, fixture_wiki):
    return Config(corpus=fixture_wiki, index=tmp_path / "index", data_dir=tmp_path / "data")


@pytest.fixture
def built(wiki_config):
    index, _ = build(wiki_config)
    return index


def test_round_trip_keeps_everything_a_query_needs(wiki_config, built):
    loaded = load_index(wiki_config.index)
    assert loaded.terms == built.terms and loaded.ngrams == built.ngrams
    assert loaded.chunks == built.chunks
    assert loaded.pages == built.pages
    assert loaded.params == built.params
    assert sorted(loaded.matrices) == sorted(built.matrices)
    for name, p in built.matrices.items():
        q = loaded.matrices[name]
        assert q.n_docs == p.n_docs
        for a, b in ((p.indptr, q.indptr), (p.indices, q.indices), (p.data, q.data)):
            np.testing.assert_array_equal(a, b)


def test_round_trip_gives_same_answers(wiki_config, built):
    before, after = Wikidesk(built, wiki_config), Wikidesk(load_index(wiki_config.index), wiki_config)
    for q in QUERIES:
        assert after.search(q) == before.search(q)
        assert after.ask(q) == before.ask(q)


def test_current_pointer_names_the_published_version(wiki_config, built):
    out = Path(wiki_config.index)
    version = current_version(out)
    assert version is not None and version.is_dir()
    assert (out / "CURRENT").read_text().strip() == version.name
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_failed_save_leaves_previous_index_loadable(wiki_config, built, monkeypatch):
    out = Path(wiki_config.index)
    before = current_version(out)
    real = index_mod._write_json

    def fail_on_meta(path, value):
        if path.name == "meta.json":
            raise OSError(28, "No space left on device")
        real(path, value)

    monkeypatch.setattr(index_mod, "_write_json", fail_on_meta)
    with pytest.raises(OSError):
        save_index(built, out)
    monkeypatch.undo()
    assert current_version(out) == before
    assert load_index(out).chunks == built.chunks
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_resave_keeps_at_most_two_versions(wiki_config, built):
    out = Path(wiki_config.index)
    for _ in range(3):
        save_index(built, out)
    versions = [p for p in out.iterdir() if p.is_dir()]
    assert len(versions) == 2
    assert current_version(out) in versions


def test_index_files_never_need_pickle(wiki_config, built):
    version = current_version(Path(wiki_config.index))
    names = sorted(p.name for p in version.iterdir())
    assert all(n.endswith((".npz", ".json")) for n in names), names
    npz = [p for p in version.iterdir() if p.suffix == ".npz"]
    assert len(npz) == len(built.matrices)
    for path in npz:
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                assert data[key].dtype != object, (path.name, key)
    for path in version.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


def test_loading_and_answering_do_not_import_scikit_learn(wiki_config, built):
    code = (
        "import sys\n"
        "from wikidesk.config import Config\n"
        "from wikidesk.index import load_index\n"
        "from wikidesk.service import Wikidesk\n"
        f"index = load_index({str(wiki_config.index)!r})\n"
        "result = Wikidesk(index, Config()).ask('which python module should I load?')\n"
        "assert result['citations'], result\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn')\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- staleness


def test_fresh_index_is_not_stale(wiki_config, built):
    assert staleness(wiki_config.index, wiki_config.corpus, IndexParams.from_config(wiki_config)) is None


@pytest.mark.parametrize("change", ["edit", "add", "remove"])
def test_corpus_change_makes_index_stale(wiki_config, built, change):
    corpus = Path(wiki_config.corpus)
    if change == "edit":
        with (corpus / "meshtool.md").open("a", encoding="utf-8") as fh:
            fh.write("\nOne more line.\n")
    elif change == "add":
        (corpus / "new_page.md").write_text("# New\n\nFresh text.\n", encoding="utf-8")
    else:
        (corpus / "meshtool.md").unlink()
    why = staleness(wiki_config.index, corpus, IndexParams.from_config(wiki_config))
    assert why and "corpus changed" in why


def test_changed_settings_make_index_stale(wiki_config, built):
    params = IndexParams.from_config(wiki_config.replace(k1=2.0))
    assert "settings" in staleness(wiki_config.index, wiki_config.corpus, params)


def test_open_index_rebuilds_stale_index_and_says_so(wiki_config, built):
    (Path(wiki_config.corpus) / "new_page.md").write_text(
        "# Zebrafish\n\nZebrafish imaging.\n", encoding="utf-8"
    )
    messages = []
    index = open_index(wiki_config, log=messages.append)
    assert "new_page" in index.pages
    assert len(messages) == 1 and "corpus changed" in messages[0]
    assert load_index(wiki_config.index).pages.keys() == index.pages.keys()


def test_open_index_refuses_stale_index_without_rebuild(wiki_config, built):
    (Path(wiki_config.corpus) / "meshtool.md").unlink()
    with pytest.raises(IndexProblem, match="rebuild"):
        open_index(wiki_config, rebuild=False)


# --------------------------------------------------------------------------- damage


def _version(config) -> Path:
    return current_version(Path(config.index))


def _truncate_npz(v: Path) -> None:
    path = v / "bm25.npz"
    path.write_bytes(path.read_bytes()[:100])


def _garble_npz(v: Path) -> None:
    with zipfile.ZipFile(v / "bm25f.npz", "w") as z:
        z.writestr("format.npy", b"not an array")


def _bad_json(v: Path) -> None:
    (v / "chunks.json").write_text('[["python", "Py', encoding="utf-8")


def _missing_file(v: Path) -> None:
    (v / "terms.json").unlink()


def _missing_matrix(v: Path) -> None:
    (v / "counts_title.npz").unlink()


def _wrong_format(v: Path) -> None:
    meta = json.loads((v / "meta.json").read_text())
    meta["format"] = FORMAT_VERSION + 98
    (v / "meta.json").write_text(json.dumps(meta))


def _fewer_chunks(v: Path) -> None:
    chunks = json.loads((v / "chunks.json").read_text())
    (v / "chunks.json").write_text(json.dumps(chunks[:-1]))


def _fewer_terms(v: Path) -> None:
    terms = json.loads((v / "terms.json").read_text())
    (v / "terms.json").write_text(json.dumps(terms[:-1]))


def _chunk_beyond_page(v: Path) -> None:
    chunks = json.loads((v / "chunks.json").read_text())
    chunks[0][2] = 999
    (v / "chunks.json").write_text(json.dumps(chunks))


def _bad_meta(v: Path) -> None:
    (v / "meta.json").write_text("{not json", encoding="utf-8")


def _meta_not_object(v: Path) -> None:
    (v / "meta.json").write_text("[1, 2, 3]", encoding="utf-8")


def _pages_wrong_shape(v: Path) -> None:
    (v / "pages.json").write_text('[{"id": "x"}]', encoding="utf-8")


DAMAGE = [
    _truncate_npz,
    _garble_npz,
    _bad_json,
    _missing_file,
    _missing_matrix,
    _wrong_format,
    _fewer_chunks,
    _fewer_terms,
    _chunk_beyond_page,
    _bad_meta,
    _meta_not_object,
    _pages_wrong_shape,
]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__.strip("_"))
def test_damaged_index_is_an_index_problem_saying_rebuild(wiki_config, built, damage):
    damage(_version(wiki_config))
    with pytest.raises(IndexProblem, match="rebuild"):
        load_index(wiki_config.index)


def test_matrices_serving_does_not_need_stay_on_disk_until_used(wiki_config, built):
    loaded = load_index(wiki_config.index)
    assert set(loaded.matrices._loaded) == set(SERVING)
    assert plain_bm25(loaded, "python venv", 3)
    assert "bm25" in loaded.matrices._loaded and "counts_body" not in loaded.matrices._loaded


def test_matrix_damaged_after_load_is_an_index_problem_on_first_use(wiki_config, built):
    loaded = load_index(wiki_config.index)
    path = _version(wiki_config) / "counts_body.npz"
    with np.load(path) as npz:
        arrays = dict(npz)
    arrays["indices"] = arrays["indices"] + 10**6
    np.savez(path, **arrays)
    with pytest.raises(IndexProblem, match="rebuild"):
        loaded.matrices["counts_body"]


def test_pointer_to_missing_version_is_no_index(wiki_config, built):
    (Path(wiki_config.index) / "CURRENT").write_text("v-gone\n")
    with pytest.raises(IndexProblem, match="wikidesk index"):
        load_index(wiki_config.index)


def test_garbled_pointer_is_no_index(wiki_config, built):
    (Path(wiki_config.index) / "CURRENT").write_bytes(b"\xff\xfe../..\n")
    with pytest.raises(IndexProblem, match="no index"):
        load_index(wiki_config.index)


@pytest.mark.parametrize(
    "damage", [_truncate_npz, _bad_meta, _meta_not_object, _wrong_format], ids=lambda f: f.__name__.strip("_")
)
def test_open_index_rebuilds_a_damaged_default_index(wiki_config, built, damage):
    damage(_version(wiki_config))
    messages = []
    index = open_index(wiki_config, log=messages.append)
    assert index.n_chunks == built.n_chunks
    assert len(messages) == 1
    load_index(wiki_config.index)


def test_unreadable_page_never_stops_build_or_freshness_check(wiki_config, monkeypatch):
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self.name == "meshtool.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    index, corpus = build(wiki_config)
    assert "meshtool" not in index.pages and "fluxsolver" in index.pages
    assert [s.path for s in corpus.skipped] == ["meshtool.md"]
    assert staleness(wiki_config.index, wiki_config.corpus, IndexParams.from_config(wiki_config)) is None
    monkeypatch.undo()
    why = staleness(wiki_config.index, wiki_config.corpus, IndexParams.from_config(wiki_config))
    assert why and "corpus changed" in why


def test_saving_into_a_shared_folder_never_deletes_other_folders(wiki_config, built, tmp_path):
    out = tmp_path / "home"
    for name in ("venv", "videos", "vault"):
        (out / name).mkdir(parents=True)
        (out / name / "keep.txt").write_text("mine", encoding="utf-8")
    for _ in range(3):
        save_index(built, out)
    for name in ("venv", "videos", "vault"):
        assert (out / name / "keep.txt").is_file(), name
    load_index(out)
