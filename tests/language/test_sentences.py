import pytest

from qa.language.sentences import SentenceTable, split_document, split_sentences
from qa.sources.documents import parse_document


def test_every_sentence_round_trips_to_its_source(engine):
    assert len(engine.sentences) > 100
    for s in engine.sentences:
        doc = engine.documents[s.doc_id]
        assert doc.text[s.start:s.end] == s.text
        assert s.text == s.text.strip() and s.text


def test_positions_count_from_zero_per_document(engine):
    for doc_id in engine.documents:
        positions = [s.index for s in engine.corpus.sentences_of(doc_id)]
        assert positions == list(range(len(positions)))


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


@pytest.mark.parametrize("text, expected", [
    ("Hij kwam. Zij ging.", ["Hij kwam.", "Zij ging."]),
    # a sentence does not start in lower case: the full stop was an abbreviation's
    ("Het kostte 1,5 mln. euro in 2020. Dat is veel.", ["Het kostte 1,5 mln. euro in 2020.", "Dat is veel."]),
    # an initial does not end a sentence
    ("De heer A. de Vries kwam. Hij bleef.", ["De heer A. de Vries kwam.", "Hij bleef."]),
    ("Het werd Y. Pestis genoemd.", ["Het werd Y. Pestis genoemd."]),
    # nor does a dotted abbreviation
    ("Met o.a. Jansen en d.w.z. Pietersen. Klaar.", ["Met o.a. Jansen en d.w.z. Pietersen.", "Klaar."]),
    # a question or an exclamation mark does
    ("Wat nu? Niets! Echt.", ["Wat nu?", "Niets!", "Echt."]),
    ("  Met spaties eromheen.   En hier.  ", ["Met spaties eromheen.", "En hier."]),
    ("", []),
])
def test_split_sentences_cuts_at_sentence_ends_only(text, expected):
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == expected


def test_offsets_hold_on_text_with_accents_quotes_and_odd_spaces():
    text = "Één café’s “Zeker.”\u00a0Daarna ging hij.\tOfficiële ‘zaak’ is klaar! En nu?"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["Één café’s “Zeker.”", "Daarna ging hij.",
                                             "Officiële ‘zaak’ is klaar!", "En nu?"]


def test_a_paragraph_of_a_thousand_sentences_is_split_into_a_thousand():
    # text scraped without line breaks: one paragraph, split like any other
    text = " ".join(f"Dit is zin nummer {n} over het nieuws van vandaag." for n in range(1000))
    doc = parse_document("x", "Kop\n\n" + text + "\n")
    sentences = [s for s in split_document(doc) if s.kind == "sentence"]
    assert len(sentences) == 1000
    assert sentences[999].text == "Dit is zin nummer 999 over het nieuws van vandaag."
    assert all(doc.text[s.start:s.end] == s.text for s in sentences)


def test_a_dutch_opening_quote_starts_a_sentence():
    text = "Het komt door de huren. ,,Klanten kopen online'', zei ze. De omzet daalde."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Het komt door de huren.", ",,Klanten kopen online'', zei ze.", "De omzet daalde."]


@pytest.mark.parametrize("text, expected", [
    # "pers." is on sentencex's list of abbreviations, but here it is the word
    ("Hij sprak met de pers. Zij zweeg.", ["Hij sprak met de pers.", "Zij zweeg."]),
    # an abbreviation that is no word stays one
    ("Dat zei dhr. Jansen gisteren.", ["Dat zei dhr. Jansen gisteren."]),
])
def test_a_word_that_looks_like_an_abbreviation_ends_a_sentence(text, expected):
    assert [text[a:b] for a, b in split_sentences(text)] == expected


def test_a_sentence_table_gives_the_sentences_it_was_made_of():
    docs = [parse_document("a", "Kop\n\nEen zin. Nog een zin.\n"), parse_document("b", "Twee. Drie.\n")]
    sentences = [s for d in docs for s in split_document(d)]
    table = SentenceTable.of(docs, sentences)
    assert len(table) == 5
    assert list(table) == sentences
    assert table[-1] == sentences[-1] and table[1:3] == sentences[1:3]
    with pytest.raises(IndexError):
        table[5]
    empty = SentenceTable.of(docs, [])
    assert len(empty) == 0 and list(empty) == []
