"""Settings: defaults, then the environment, then a test's overrides; every
yes/no variable read the same way, and a value that cannot be read refused by
name."""
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
