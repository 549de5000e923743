import pytest

from qa.sources.documents import SourceError, load_sources, parse_document


def test_date_prefix_is_metadata_not_text():
    doc = parse_document("a", " date 2021-07 De wethouder treedt af. Meer tekst volgt hier.")
    assert doc.date == "2021-07"
    assert doc.title == "De wethouder treedt af."
    start, _ = doc.content[0]
    assert doc.text[start:].startswith("De wethouder")


def test_date_line_and_headline_title():
    text = "Wethouder weg na klachten\n\n05.07.21\nFoto: Iemand Anders\nDe wethouder is weg.\n"
    doc = parse_document("b", text)
    assert doc.date == "2021-07-05"
    assert doc.title == "Wethouder weg na klachten"
    lines = [doc.text[s:e] for s, e in doc.content]
    assert "05.07.21" not in lines and not any(line.startswith("Foto:") for line in lines)


@pytest.mark.parametrize("marker", ["Trefwoorden:", "Lees ook", "Tags:", "Gerelateerde artikelen"])
def test_page_furniture_after_keyword_heading_is_dropped(marker):
    text = f"Kop\n\nEcht nieuws staat hier.\n\n{marker}\n\nTeaser over iets anders.\n"
    doc = parse_document("c", text)
    content = " ".join(doc.text[s:e] for s, e in doc.content)
    assert "Echt nieuws" in content and "Teaser" not in content


def test_publisher_named_in_text():
    doc = parse_document("d", "Kop\n\nDit artikel is afkomstig uit Het Parool. Elke dag meer.\n")
    assert doc.publisher == "Het Parool"


def test_load_sources_reads_txt_and_skips_bad_files(tmp_path):
    (tmp_path / "good.txt").write_text("Kop\n\nEen zin over iets.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 met fouten".encode("latin-1"))
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    docs, skipped = load_sources(tmp_path)
    assert [d.id for d in docs] == ["good"]
    assert sorted(s["file"] for s in skipped) == ["empty.txt", "latin1.txt"]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        load_sources(tmp_path / "nope")


def test_seed_furniture_is_out_of_the_index(engine):
    texts = " ".join(s.text for s in engine.sentences)
    assert "Kalkbreite" not in texts  # a teaser after 'Trefwoorden:' in one seed
    assert "Marieke van Doorninck" in texts  # the article text before it stays


GOOD = "Kop\n\nDe wethouder is op 5 juli afgetreden. Zijn taken gaan naar Anna Bakker.\n"


def bad_sources(folder):
    """One good article and every kind of bad file, with the reason each is skipped."""
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "invalid-utf8.txt").write_bytes(b"De wethouder \xff\xfe is weg.")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (folder / "nul-bytes.txt").write_bytes(b"ELF\x00\x01\x00\x00 De wethouder\x00")  # decodes, but is no text
    (folder / "huge.txt").write_bytes(b"Een zin. " * (50 * 2**20 // 9 + 1))  # 50 MB
    (folder / "no-sentences.txt").write_text("   \n\n\t\n", encoding="utf-8")
    (folder / "unreadable.txt").symlink_to(folder / "missing-target")  # unreadable even by root
    return {"empty.txt": "no text", "invalid-utf8.txt": "UnicodeDecodeError",
            "binary.txt": "UnicodeDecodeError",
            "nul-bytes.txt": "not a text file",
            "huge.txt": "too large", "no-sentences.txt": "no text", "unreadable.txt": "FileNotFoundError"}


def test_every_bad_source_is_skipped_with_one_log_line_naming_it(tmp_path, caplog):
    reasons = bad_sources(tmp_path)
    docs, skipped = load_sources(tmp_path)
    assert [d.id for d in docs] == ["good"]
    assert {s["file"]: s["reason"] for s in skipped}.keys() == reasons.keys()
    for entry in skipped:
        assert reasons[entry["file"]] in entry["reason"]
        lines = [r.getMessage() for r in caplog.records if entry["file"] in r.getMessage()]
        assert len(lines) == 1 and reasons[entry["file"]] in lines[0]


def test_the_service_serves_the_good_sources_and_counts_the_skipped(tmp_path):
    from qa import create_app

    reasons = bad_sources(tmp_path)
    client = create_app({"TESTING": True, "QA_SOURCES": str(tmp_path), "QA_SEMANTIC": False,
                         "QA_DATA_DIR": ""}).test_client()
    health = client.get("/healthz").get_json()
    assert health["sources"] == 1 and health["skipped"] == len(reasons)
    response = client.post("/api/ask", json={"question": "Wanneer is de wethouder afgetreden?"})
    assert response.status_code == 200 and response.get_json()["passages"]


def test_an_empty_folder_starts_and_answers_null(tmp_path, caplog):
    from qa import create_app

    client = create_app({"TESTING": True, "QA_SOURCES": str(tmp_path), "QA_SEMANTIC": False,
                         "QA_DATA_DIR": ""}).test_client()
    assert client.get("/healthz").get_json()["sources"] == 0
    response = client.post("/api/ask", json={"question": "Wie?"}).get_json()
    assert response == {"answer": None, "confidence": 0.0, "passages": [], "disagreement": None}
    assert any("no readable .txt sources" in r.getMessage() for r in caplog.records)


def test_a_missing_folder_stops_gunicorn_with_one_line_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QA_SOURCES": str(tmp_path / "nope"), "QA_BIND": "127.0.0.1:0", "QA_SEMANTIC": "0",
           "QA_DATA_DIR": str(tmp_path / "added")}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
