"""qa.sources.library: the writable data folder, its files, lock and generation."""
import pytest

from qa.sources.documents import parse_document
from qa.sources.library import Article, DataFolder, LibraryError, content_hash, render, slug, valid_id


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


# The Library: adding, replacing, deleting and listing, without Flask.

@pytest.fixture
def library(tmp_path):
    import shutil
    from pathlib import Path

    from qa import configuration
    from qa.sources.library import Library
    from qa.web.store import Sources

    sources = tmp_path / "sources"
    shutil.copytree(Path(__file__).resolve().parents[2] / "seeds", sources)
    config = configuration({"QA_SOURCES": str(sources), "QA_DATA_DIR": str(tmp_path / "data"), "QA_INDEX": "",
                            "QA_SEMANTIC": False, "QA_BACKGROUND_VECTORS": False})
    return Library(Sources(config), sources, max_bytes=10_000)


TRAM = b'{"title": "Nieuwe tram", "date": "2021-05", "text": "Vanaf mei rijdt tram 26 naar IJburg."}'


def test_the_library_adds_lists_replaces_and_deletes(library, tmp_path):
    before = library.list()
    entry, created = library.add(library.read("application/json", TRAM))
    assert created and entry.id == "nieuwe-tram" and (entry.title, entry.date) == ("Nieuwe tram", "2021-05")
    assert entry in library.list() and len(library.list()) == len(before) + 1
    assert (tmp_path / "data" / "nieuwe-tram.txt").is_file() and library.served.data.generation() == 1

    with pytest.raises(LibraryError) as refused:
        library.add(library.read("text/plain", b"Tram 26 rijdt niet.", {"id": "nieuwe-tram"}))
    assert (refused.value.code, refused.value.status) == ("exists", 409)
    replaced, created = library.add(library.read("text/plain", b"Correctie\n\nTram 26 rijdt pas in juni.",
                                                 source_id="nieuwe-tram"), replace=True)
    assert not created and replaced.title == "Correctie"
    assert "juni" in library.served.engine.documents["nieuwe-tram"].text

    library.delete("nieuwe-tram")
    assert library.list() == before and not (tmp_path / "data" / "nieuwe-tram.txt").exists()
    with pytest.raises(LibraryError) as gone:
        library.delete("nieuwe-tram")
    assert (gone.value.code, gone.value.status) == ("not_found", 404)


def test_a_title_made_id_that_is_taken_gets_a_number_and_the_same_text_is_refused(library):
    library.add(library.read("application/json", TRAM))
    other, _ = library.add(library.read("text/plain", b"Tram 26 rijdt elke vijf minuten.",
                                        {"title": "Nieuwe tram"}))
    assert other.id == "nieuwe-tram-2"
    with pytest.raises(LibraryError, match="'nieuwe-tram'") as same:
        library.add(library.read("application/json", TRAM.replace(b"naar", b"naar  ")))
    assert same.value.code == "duplicate"


@pytest.mark.parametrize("kind, body, fields, code, status", [
    ("application/json", b"[1]", {}, "invalid_json", 400),
    ("application/json", b'{"title": "X", "text": "Y", "date": "gisteren"}', {}, "invalid_request", 400),
    ("text/plain", b"Tekst.", {"date": "gisteren"}, "invalid_date", 400),
    ("text/plain", b"Tekst.", {"id": "../x"}, "invalid_id", 400),
    ("image/png", b"\x89PNG", {}, "unsupported_media_type", 415),
    ("text/plain", b"caf\xe9", {}, "unreadable_document", 422),
    ("text/plain", b"x" * 10_001, {}, "request_entity_too_large", 413),
])
def test_bad_input_is_refused_by_code_and_status(library, kind, body, fields, code, status):
    with pytest.raises(LibraryError) as refused:
        library.read(kind, body, fields)
    assert (refused.value.code, refused.value.status) == (code, status)


def test_a_read_only_source_cannot_be_changed_here(library):
    with pytest.raises(LibraryError) as refused:
        library.add(library.read("text/plain", b"Iets anders.", {"id": "000_6e4b85fed620331c"}))
    assert (refused.value.code, refused.value.status) == ("read_only_source", 409)
    with pytest.raises(LibraryError, match="read-only sources folder"):
        library.delete("000_6e4b85fed620331c")


def test_without_a_data_folder_nothing_can_be_changed(library):
    library.served.data = None
    assert not library.writable and library.list()
    with pytest.raises(LibraryError) as refused:
        library.delete("x")
    assert (refused.value.code, refused.value.status) == ("read_only", 403)
