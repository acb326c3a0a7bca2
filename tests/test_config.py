"""One configuration object: defaults, then a TOML file, then WIKIDESK_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikidesk.config import Config, load_config
from wikidesk.errors import WikideskError


@pytest.fixture(autouse=True)
def empty_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_or_environment():
    config = load_config(env={})
    assert config == Config()
    assert config.corpus == Path("corpus") and config.index == Path(".wikidesk/index")


def test_top_level_toml_keys_apply_with_their_types(tmp_path):
    f = write(tmp_path / "c.toml", 'corpus = "wiki"\nport = 9000\nk1 = 1.5\ncurrent_clusters = ["A", "B"]\n')
    config = load_config(f, env={})
    assert config.corpus == Path("wiki")
    assert config.port == 9000 and config.k1 == 1.5
    assert config.current_clusters == ("A", "B")
    assert config.top_k == Config().top_k


def test_wikidesk_table_in_toml(tmp_path):
    f = write(tmp_path / "c.toml", '[wikidesk]\nhost = "0.0.0.0"\ntop_k = 3\n')
    config = load_config(f, env={})
    assert (config.host, config.top_k) == ("0.0.0.0", 3)


def test_environment_overrides_file(tmp_path):
    f = write(tmp_path / "c.toml", "k1 = 1.5\nport = 9000\n")
    env = {"WIKIDESK_K1": "2.25", "WIKIDESK_RETIRED_CLUSTERS": "Proteus, Hydra", "WIKIDESK_OTHER": "x"}
    config = load_config(f, env=env)
    assert config.k1 == 2.25
    assert config.port == 9000
    assert config.retired_clusters == ("Proteus", "Hydra")


def test_config_file_found_through_variable_or_current_folder(tmp_path):
    write(tmp_path / "wikidesk.toml", "port = 8100\n")
    assert load_config(env={}).port == 8100
    other = write(tmp_path / "other.toml", "port = 8200\n")
    assert load_config(env={"WIKIDESK_CONFIG": str(other)}).port == 8200


def test_explicit_overrides_win(tmp_path):
    f = write(tmp_path / "c.toml", "port = 9000\n")
    assert load_config(f, env={"WIKIDESK_PORT": "9100"}, port=9200).port == 9200


def test_replace_coerces_and_validates():
    config = Config().replace(port="8001", corpus="pages")
    assert config.port == 8001 and config.corpus == Path("pages")
    with pytest.raises(WikideskError, match="'top_k'"):
        Config().replace(top_k=0)


@pytest.mark.parametrize(
    ("toml", "setting"),
    [
        ('port = "eighty"', "port"),
        ("port = 80.5", "port"),
        ("port = true", "port"),
        ("port = 70000", "port"),
        ("b = 1.5", "b"),
        ("k1 = -1.0", "k1"),
        ("k1 = [1.2]", "k1"),
        ("chunk_chars = 0", "chunk_chars"),
        ("current_clusters = 5", "current_clusters"),
        ("host = [1, 2]", "host"),
    ],
)
def test_bad_value_in_file_names_the_setting_and_file(tmp_path, toml, setting):
    f = write(tmp_path / "c.toml", toml + "\n")
    with pytest.raises(WikideskError) as err:
        load_config(f, env={})
    assert f"'{setting}'" in str(err.value) and "c.toml" in str(err.value)


def test_bad_environment_value_names_the_variable():
    with pytest.raises(WikideskError, match=r"WIKIDESK_TOP_K.*'top_k'"):
        load_config(env={"WIKIDESK_TOP_K": "many"})


def test_unknown_setting_in_file_is_an_error(tmp_path):
    f = write(tmp_path / "c.toml", "colour = 3\n")
    with pytest.raises(WikideskError, match="unknown setting 'colour'"):
        load_config(f, env={})


def test_invalid_or_missing_file_is_an_error(tmp_path):
    with pytest.raises(WikideskError, match="not valid TOML"):
        load_config(write(tmp_path / "c.toml", "port = \n"), env={})
    with pytest.raises(WikideskError, match="does not exist"):
        load_config(tmp_path / "absent.toml", env={})


def _a_switch() -> str:
    from dataclasses import fields

    names = [f.name for f in fields(Config) if isinstance(f.default, bool)]
    if not names:
        pytest.skip("no true/false setting")
    return names[0]


def test_switches_read_true_false_words(tmp_path):
    name = _a_switch()
    assert getattr(load_config(env={f"WIKIDESK_{name.upper()}": "off"}), name) is False
    assert getattr(load_config(env={f"WIKIDESK_{name.upper()}": "Yes"}), name) is True
    f = write(tmp_path / "c.toml", f"{name} = false\n")
    assert getattr(load_config(f, env={}), name) is False


def test_switch_with_unclear_value_is_an_error():
    name = _a_switch()
    with pytest.raises(WikideskError, match=f"'{name}' expects true or false"):
        load_config(env={f"WIKIDESK_{name.upper()}": "maybe"})


def test_empty_path_is_an_error_not_the_current_folder():
    with pytest.raises(WikideskError, match=r"WIKIDESK_INDEX.*'index'"):
        load_config(env={"WIKIDESK_INDEX": " "})
