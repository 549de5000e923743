"""qa.sources.library: the writable data folder, its files, lock and generation."""
import pytest

from qa.sources.documents import parse_document
from qa.sources.library import Article, DataFolder, content_hash, render, slug, valid_id


@pytest.mark.parametrize("title, expected", [
    ("Wethouder Ivens treedt af", "wethouder-ivens-treedt-af"),
    ("Café’s in de Jordaan: één op drie dicht!", "cafes-in-de-jordaan-een-op-drie-dicht"),
    ("???", "article"),
])
def test_slug_makes_a_safe_id_from_a_title(title, expected):
    assert slug(title) == expected and valid_id(slug(title))


@pytest.mark.parametrize("source_id, ok", [
    ("a", True), ("bench-12_b", True), ("../x", False), (".hidden", False), ("A", False), ("", False),
    ("x" * 80, True), ("x" * 81, False), ("a/b", False),
])
def test_valid_ids(source_id, ok):
    assert valid_id(source_id) == ok


def test_a_rendered_article_reads_back_with_its_title_date_and_publisher():
    text = render(Article("x", "Brug dicht", "2021-03-01", "AT5", "De brug gaat dicht.\n\nVerkeer rijdt om."))
    doc = parse_document("x", text)
    assert (doc.title, doc.date, doc.publisher) == ("Brug dicht", "2021-03-01", "AT5")


def test_the_same_words_with_other_spacing_hash_the_same():
    assert content_hash("De brug\n\ngaat  dicht.") == content_hash("De brug gaat dicht.")
    assert content_hash("De brug gaat dicht.") != content_hash("De brug gaat open.")


def test_write_remove_and_generation(tmp_path):
    data = DataFolder(tmp_path / "data")
    with data.locked():
        assert data.generation() == 0
        data.write("een", "Een\n\nTekst.\n")
        data.bump()
    assert data.holds("een") and data.generation() == 1
    assert sorted(p.name for p in data.path.iterdir()) == [".generation", ".lock", "een.txt"]
    with data.locked():
        assert data.remove("een") and not data.remove("een")
    with pytest.raises(ValueError):
        data.file("../een")


def test_clean_removes_what_a_killed_writer_left(tmp_path):
    data = DataFolder(tmp_path)
    (tmp_path / ".een.abc.tmp").write_text("half")
    (tmp_path / "een.txt").write_text("heel")
    assert data.clean() == 1 and [p.name for p in tmp_path.iterdir()] == ["een.txt"]


def test_busy_while_a_writer_holds_the_lock(tmp_path):
    import subprocess
    import sys
    import time

    data = DataFolder(tmp_path)
    assert not data.busy()
    script = ("import time\nfrom qa.sources.library import DataFolder\n"
              f"with DataFolder({str(tmp_path)!r}).locked():\n"
              "    print('held', flush=True)\n    time.sleep(30)")
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert data.busy()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    deadline = time.monotonic() + 5
    while data.busy() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not data.busy()
