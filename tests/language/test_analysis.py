import pytest

from qa.language.analysis import Analyzer, normalize, shared_terms, tokenize


def test_normalize_folds_case_accents_and_width():
    assert normalize("Officiële ＭELDING") == "officiele melding"


def test_normalize_drops_every_combining_mark_and_keeps_every_other_character():
    import unicodedata

    marks = [chr(c) for c in range(0x300, 0x110000) if unicodedata.combining(chr(c))]
    assert normalize("a" + "".join(marks) + "b") == "ab"
    kept = "ßøłđ€→中ж\U0001F600"  # no marks, and nothing NFKC or lowercasing changes
    assert normalize(kept + "ë") == kept + "e"


def test_tokenize_keeps_numbers_and_splits_compound_hyphens():
    assert tokenize("SP-wethouder bouwt 10.000 woningen (40-40-20)") == [
        "sp", "wethouder", "bouwt", "10.000", "woningen", "40-40-20"]


def test_optional_prefix_in_brackets_gives_both_words():
    assert tokenize("de (na)zorg voor medewerkers") == ["de", "nazorg", "zorg", "voor", "medewerkers"]


def test_dutch_terms_drop_stopwords_and_stem():
    terms = Analyzer("nl").terms("De meldingen van de vrouwen")
    assert terms == [Analyzer("nl").term("meldingen"), Analyzer("nl").term("vrouwen")]
    assert Analyzer("nl").terms("melding") == Analyzer("nl").terms("meldingen")


@pytest.mark.parametrize("form, lemma", [
    ("kreeg", "krijgen"),          # irregular past: no suffix rule reaches it
    ("stelden", "stellen"),
    ("afgetreden", "aftreden"),
    ("waargenomen", "waarnemen"),  # separable verb, joined again
    ("portefeuilles", "portefeuille"),
])
def test_dutch_inflected_forms_meet_their_dictionary_form(form, lemma):
    nl = Analyzer("nl")
    assert nl.term(form) in nl.query_forms(lemma)


@pytest.mark.parametrize("form, lemma", [("wrote", "write"), ("held", "hold"), ("took", "take")])
def test_english_irregular_forms_meet_their_dictionary_form(form, lemma):
    en = Analyzer("en")
    assert en.term(form) == en.term(lemma)


def test_english_stopwords_are_function_words_only():
    en = Analyzer("en")
    assert en.is_stopword("the") and en.is_stopword("didn") and en.is_stopword("which")
    for word in ["research", "members", "million", "information", "fifteen"]:
        assert not en.is_stopword(word)


@pytest.mark.parametrize("word, parts", [
    ("partijbestuur", ("partij", "bestuur")),
    ("onderzoeksbureau", ("onderzoek", "bureau")),   # linking s dropped
    ("commissievergadering", ("commissie", "vergadering")),
    ("onderzoek", ()),                               # a word, not onder + zoek
    ("burgemeester", ()),
    ("wethouder", ()),                               # too short to split
])
def test_dutch_compounds_split_into_known_words(word, parts):
    assert Analyzer("nl").compound_parts(word) == parts


def test_index_terms_add_compound_parts_and_query_terms_do_not():
    nl = Analyzer("nl")
    parts = [nl.term("partijbestuur"), nl.term("partij"), nl.term("bestuur")]
    assert nl.index_terms("het partijbestuur") == (parts, 1)  # one word long
    assert nl.terms("het partijbestuur") == [nl.term("partijbestuur")]
    assert Analyzer("en").compound_parts("housingdepartment") == ()


@pytest.mark.parametrize("text, verb, joined", [
    ("Op 5 juli trad Ivens af, nadat het bleek", "trad", "aftreden"),
    ("Wie neemt de portefeuilles voorlopig waar?", "neemt", "waarnemen"),
    ("Deze lente vond een onderzoek plaats dat in juni klaar was.", "vond", "plaatsvinden"),
    ("In 2019 kwam al een signaal binnen, waarna zij sprak", "kwam", "binnenkomen"),
    ("De wethouder treedt per direct af wegens zijn gedrag.", "treedt", "aftreden"),
    # a preposition after the particle: it has no object, so it ends the verb group
    ("De politie hield twee supporters aan voor het afsteken van vuurwerk.", "hield", "aanhouden"),
    ("Hij is niet van plan op te stappen.", "stappen", "opstappen"),  # particle, "te", infinitive
    ("Hij besloot af te treden.", "treden", "aftreden"),
])
def test_separable_verbs_are_joined(text, verb, joined):
    assert Analyzer("nl").separable_verbs(text) == {verb: joined}


def test_a_particle_with_more_of_its_clause_after_it_is_a_preposition():
    assert Analyzer("nl").separable_verbs("Zij wacht op de trein naar Utrecht.") == {}


def test_a_token_too_long_to_be_a_word_is_neither_looked_up_nor_split():
    nl = Analyzer("nl")
    blob = "partijbestuur" * 10  # 130 letters: splitting it would try every position
    assert nl.compound_parts(blob) == () and nl.lemma(blob) == blob
    assert nl.index_terms(blob).length == 1


def test_unknown_language_lists_the_choices():
    with pytest.raises(ValueError, match="'en', 'nl'"):
        Analyzer("fr")


@pytest.mark.parametrize(("a", "b", "shared"), [
    ({"plan", "onderteken", "vier"}, {"plan", "teken", "sociaal", "regel"}, 2),  # a compound's head counts
    ({"kartonfabriek", "fin", "overnem"}, {"fabriek", "fin", "overnem", "zes"}, 3),
    ({"loopban", "nieuw"}, {"ban", "nieuw"}, 1),  # heads shorter than COMPOUND_HEAD_MIN do not
    ({"onderteken"}, {"teken"}, 0),  # no word in common at all: compounds are not looked at
    (set(), {"plan"}, 0),
])
def test_shared_terms_count_a_compound_for_its_head(a, b, shared):
    assert shared_terms(frozenset(a), frozenset(b)) == shared


def test_the_lemma_list_answers_as_simplemma_does():
    import simplemma
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    from qa.language.analysis import lemma_list

    lemmas = lemma_list("nl")
    assert lemmas._words is not None  # the fast lookup is in use (simplemma's dictionary as it is pinned)
    keys = [k.decode() for k in list(DEFAULT_DICTIONARY_FACTORY.get_dictionary("nl")._dict)[::97]]
    words = keys + [k.capitalize() for k in keys[:500]] + [k.upper() for k in keys[:300]] + \
        [k[:-1] for k in keys[:500] if len(k) > 1] + [k + "heid" for k in keys[:300]] + \
        ["één", "naïef", "ca\u0301fe", "x'y", "abc1", "co-op", "Amsterdam", "wethouders", "trad", "三"]
    for word in words:
        assert lemmas.lemmatize(word) == simplemma.lemmatize(word, lang="nl"), word
        assert lemmas.is_known(word) == simplemma.is_known(word, lang="nl"), word
