import pytest

from qa.sources import SourceError, load_sources, parse_document


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
