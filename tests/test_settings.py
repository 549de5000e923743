"""Settings: defaults, then the environment, then a test's overrides; every
yes/no variable read the same way, and a value that cannot be read refused by
name."""
from pathlib import Path

import pytest

from qa import SettingError, create_app


@pytest.fixture
def config(monkeypatch, engine):
    def make(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return create_app({"TESTING": True, "QA_ENGINE": engine}).config
    return make


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), (" ON ", True), ("true", True),
                                             ("0", False), ("no", False), ("Off", False), ("", False)])
def test_every_yes_no_setting_reads_a_value_the_same_way(config, value, expected):
    got = config(QA_SEMANTIC=value, QA_BACKGROUND_VECTORS=value, QA_LOG_QUESTIONS=value)
    assert (got["QA_SEMANTIC"], got["QA_BACKGROUND_VECTORS"], got["QA_LOG_QUESTIONS"]) == (expected,) * 3


@pytest.mark.parametrize("name, value", [("QA_LOG_QUESTIONS", "sometimes"), ("QA_WATCH_SECONDS", "soon"),
                                         ("QA_MAX_QUESTION_CHARS", "1e9x")])
def test_a_value_that_cannot_be_read_is_refused_by_name(config, name, value):
    with pytest.raises(SettingError, match=f"^{name}="):
        config(**{name: value})


def test_a_test_override_wins_over_the_environment(config, engine):
    assert config(QA_MAX_QUESTION_CHARS="50")["QA_MAX_QUESTION_CHARS"] == 50
    app = create_app({"TESTING": True, "QA_ENGINE": engine, "QA_MAX_QUESTION_CHARS": 7})
    assert app.config["QA_MAX_QUESTION_CHARS"] == 7


# One table (qa/settings.py): the docs, the command line and the cluster's settings read it.

ROOT = Path(__file__).resolve().parent.parent


def test_the_docs_settings_table_is_made_from_the_code_table():
    from qa import settings

    documented = settings.documented((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    assert documented == settings.markdown(), "docs/api.md is out of date: python -m qa.settings docs/api.md"


def test_every_variable_the_docs_name_is_in_the_code_table_with_the_same_default():
    import re

    from qa import settings

    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for name in set(re.findall(r"\bQA_[A-Z_]+[A-Z]\b", text)):
            assert name in settings.BY_NAME, f"{doc.name} names {name}, which qa/settings.py does not have"
        for name, shown in re.findall(r"^\| `(QA_[A-Z_]+)` \| ([^|]+) \|", text, re.M):  # other tables
            code = settings.BY_NAME[name].shown_default()
            assert shown.strip().replace("`", "") == code.replace("`", ""), f"{doc.name}: {name}"


def test_the_defaults_shown_are_the_code_s():
    from qa.language.translation import DEFAULT_DICT_DIR
    from qa.pipeline.engine import SEGMENT_MAX_SENTENCES, SEMANTIC_SEARCH_MAX, STATIC_VECTORS_ABOVE
    from qa.settings import BY_NAME

    assert BY_NAME["QA_SEMANTIC_SEARCH_MAX"].shown == f"`{SEMANTIC_SEARCH_MAX}`"
    assert BY_NAME["QA_STATIC_VECTORS_ABOVE"].shown == f"`{STATIC_VECTORS_ABOVE}`"
    assert BY_NAME["QA_SEGMENT_MAX_SENTENCES"].shown == f"`{SEGMENT_MAX_SENTENCES}`"
    assert BY_NAME["QA_DICT_DIR"].default == DEFAULT_DICT_DIR


def test_the_command_line_and_the_cluster_take_their_defaults_from_the_table(monkeypatch, capsys):
    from qa.__main__ import _parser, main
    from qa.index.cluster import ClusterSettings

    monkeypatch.setenv("QA_SEARCH_SHARDS", "5")
    monkeypatch.setenv("QA_SOURCES", "elders")
    args = _parser().parse_args(["index", "x"])
    assert (args.shards, args.replicas, args.search_index) == (5, 1, "qa-sentences")
    assert _parser().parse_args(["ask", "Wie?"]).sources == "elders"
    urls = ("http://h:9200",)
    assert ClusterSettings(urls) == ClusterSettings(urls, "qa-sentences", 3, 1, 2.0)
    monkeypatch.setenv("QA_SEARCH_SHARDS", "many")
    assert main(["index", "x"]) == 2 and "QA_SEARCH_SHARDS='many'" in capsys.readouterr().err
