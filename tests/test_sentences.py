from qa.sentences import split_document
from qa.sources import parse_document


def test_every_sentence_round_trips_to_its_source(engine):
    assert len(engine.sentences) > 100
    for s in engine.sentences:
        doc = engine.documents[s.doc_id]
        assert doc.text[s.start:s.end] == s.text
        assert s.text == s.text.strip() and s.text


def test_positions_count_from_zero_per_document(engine):
    for doc_id in engine.documents:
        assert [s.index for s in engine.sentences_of(doc_id)] == list(range(len(engine.sentences_of(doc_id))))


def test_headings_and_timeline_lines_are_units():
    text = ("Kop van het stuk\n\nEerste zin. Tweede zin met o.a. Jansen erin.\n\nTijdlijn\n\n"
            "- Oktober 2020: Vijf signalen komen binnen. Nog iets.\n- Februari 2021 Een melding.\n")
    sentences = split_document(parse_document("x", text))
    got = [(s.kind, s.text) for s in sentences]
    assert got == [
        ("heading", "Kop van het stuk"),
        ("sentence", "Eerste zin."),
        ("sentence", "Tweede zin met o.a. Jansen erin."),
        ("heading", "Tijdlijn"),
        ("timeline", "Oktober 2020: Vijf signalen komen binnen. Nog iets."),
        ("timeline", "Februari 2021 Een melding."),
    ]
    for s in sentences:
        assert text[s.start:s.end] == s.text


def test_a_dateline_is_not_part_of_the_first_sentence():
    text = ("Kop\n\nDEN HAAG - Minister Jansen is afgetreden. Hij zei niets.\n\n"
            "AMSTERDAM (ANP) – De brand is geblust.\n\nDe VVD - en de PvdA - stemden tegen.\n")
    doc = parse_document("x", text)
    got = [s.text for s in split_document(doc) if s.kind == "sentence"]
    assert got == ["Minister Jansen is afgetreden.", "Hij zei niets.", "De brand is geblust.",
                   "De VVD - en de PvdA - stemden tegen."]
    assert all(doc.text[s.start:s.end] == s.text for s in split_document(doc))
