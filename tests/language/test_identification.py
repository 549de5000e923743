"""The language identifier read from its uncompressed copy beside the saved
index classifies exactly as the one read from py3langid's own file."""
import json
import logging

import pytest
from conftest import ROOT, SEEDS

from qa.language import identification


def texts() -> list[str]:
    """Questions of both languages and the seeds' lines: what the service classifies."""
    asked = [json.loads(line)["question"] for line in
             (ROOT / "eval" / "extra.jsonl").read_text(encoding="utf-8").splitlines()]
    lines = [line for path in sorted(SEEDS.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return asked + lines + ["", "?", "2021", "Wie?", "who resigned", "ÉÉN café"]


@pytest.fixture(scope="module")
def from_package():
    return identification.from_package()


def test_the_copy_classifies_as_the_package_model_does(tmp_path, from_package):
    written = identification.load_identifier(tmp_path)  # (from the package: no copy yet)
    (path,) = tmp_path.iterdir()
    assert path == identification.cache_path(tmp_path)
    read = identification.read_cached(path)
    assert read.nb_classes == ["en", "nl"] == written.nb_classes
    for text in texts():
        language, score = read.classify(text)
        assert (language, score) == from_package.classify(text), text


def test_a_second_load_reads_the_copy(tmp_path, monkeypatch):
    identification.load_identifier(tmp_path)
    monkeypatch.setattr(identification, "from_package", lambda: pytest.fail("read py3langid's file again"))
    assert identification.load_identifier(tmp_path).classify("Wanneer trad Ivens af?")[0] == "nl"


def test_a_damaged_copy_is_made_again_from_the_package(tmp_path, caplog):
    path = identification.cache_path(tmp_path)
    path.write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING, logger=identification.__name__):
        identifier = identification.load_identifier(tmp_path)
    assert "not used" in caplog.text
    assert identifier.classify("when did the formal reports come in")[0] == "en"
    assert identification.read_cached(path).nb_classes == ["en", "nl"]  # written anew


def test_a_folder_that_cannot_be_written_still_gives_an_identifier(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    identifier = identification.load_identifier(blocked / "cache")
    assert identifier.classify("Wie is Laurens Ivens?")[0] == "nl"
    assert not (blocked / "cache").exists()
