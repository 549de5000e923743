import pytest

from qa.analysis import Analyzer, normalize, tokenize


def test_normalize_folds_case_accents_and_width():
    assert normalize("Officiële ＭELDING") == "officiele melding"


def test_tokenize_keeps_numbers_and_splits_compound_hyphens():
    assert tokenize("SP-wethouder bouwt 10.000 woningen (40-40-20)") == [
        "sp", "wethouder", "bouwt", "10.000", "woningen", "40-40-20"]


def test_optional_prefix_in_brackets_gives_both_words():
    assert tokenize("de (na)zorg voor medewerkers") == ["de", "nazorg", "zorg", "voor", "medewerkers"]


def test_dutch_terms_drop_stopwords_and_stem():
    terms = Analyzer("nl").terms("De meldingen van de vrouwen")
    assert terms == [Analyzer("nl").stem("meldingen"), Analyzer("nl").stem("vrouwen")]
    assert Analyzer("nl").terms("melding") == Analyzer("nl").terms("meldingen")


def test_unknown_language_lists_the_choices():
    with pytest.raises(ValueError, match="'en', 'nl'"):
        Analyzer("fr")
