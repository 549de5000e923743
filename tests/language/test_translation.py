import gzip
import os

import pytest

from qa.language import translation
from qa.language.analysis import Analyzer
from qa.language.translation import Translator, read_dictd
from qa.pipeline.question import read_question

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(n: int) -> str:
    out = ""
    while True:
        out = B64[n % 64] + out
        n //= 64
        if not n:
            return out


def write_dictd(folder, name, entries):
    """A dictd pair (.index, .dict.dz) in FreeDict's layout."""
    data, index = b"", []
    for head, body in entries.items():
        chunk = f"{head} /x/\n{body}\n".encode()
        index.append(f"{head}\t{b64(len(data))}\t{b64(len(chunk))}")
        data += chunk
    (folder / f"{name}.dict.dz").write_bytes(gzip.compress(data))
    (folder / f"{name}.index").write_text("\n".join(index) + "\n", encoding="utf-8")


def translator_over(folder, eng_nld: dict, nld_eng: dict) -> Translator:
    """A Translator over small dictionaries written into `folder`."""
    write_dictd(folder, "freedict-eng-nld", eng_nld)
    write_dictd(folder, "freedict-nld-eng", nld_eng)
    return Translator.from_freedict(folder, Analyzer("nl"))


def make_dictionaries(folder):
    write_dictd(folder, "freedict-eng-nld", {
        "report": "1. berichten, melden\n2. melding, rapport", "mayor": "burgemeester",
        "the": "de, het", "write": "schrijven"})
    write_dictd(folder, "freedict-nld-eng", {"formeel": "formal", "aftreden": "1. resign\n2. quit",
                                                 "nazorg": "after\u2010care"})


def test_read_dictd_splits_senses_and_commas(tmp_path):
    make_dictionaries(tmp_path)
    entries = read_dictd(tmp_path, "freedict-eng-nld")
    assert entries["report"] == ["berichten", "melden", "melding", "rapport"]


def test_both_directions_feed_one_table_keyed_by_english_stem(tmp_path):
    make_dictionaries(tmp_path)
    nl = Analyzer("nl")
    translator = Translator.from_freedict(tmp_path, nl)
    assert nl.term("melding") in translator.translate("reports")  # plural finds the entry
    assert translator.translate("formal") == (nl.term("formeel"),)  # from the inverted nld-eng
    assert nl.term("aftreden") in translator.translate("resigned")
    assert translator.translate("wrote") == (nl.term("schrijven"),)  # irregular form finds the entry
    assert nl.term("schreef") == nl.term("schrijven")  # and meets the sentence's past tense
    assert translator.translate("zebra") == ()


def test_a_word_is_not_looked_up_as_another_word_of_the_same_stem(tmp_path):
    write_dictd(tmp_path, "freedict-eng-nld", {"nation": "natie", "national": "nationaal"})
    write_dictd(tmp_path, "freedict-nld-eng", {"landelijk": "national"})
    nl = Analyzer("nl")
    national = Translator.from_freedict(tmp_path, nl).translate("national")
    assert set(national) == {nl.term("nationaal"), nl.term("landelijk")}  # not "natie"


def test_a_british_spelling_finds_the_american_entry(tmp_path):
    nl = Analyzer("nl")
    translator = translator_over(tmp_path, {"apologize": "verontschuldigen", "color": "kleur"},
                                 {"gedrag": "behavior"})
    assert translator.translate("apologised") == (nl.term("verontschuldigen"),)
    assert translator.translate("colour") == (nl.term("kleur"),)
    assert translator.translate("behaviour") == (nl.term("gedrag"),)


def test_missing_dictionaries_disable_translation_with_one_log_line(tmp_path, caplog):
    assert Translator.from_freedict(tmp_path / "none", Analyzer("nl")) is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "dict-freedict-eng-nld" in caplog.records[0].getMessage()


def test_english_question_becomes_dutch_synonym_sets(tmp_path):
    make_dictionaries(tmp_path)
    nl = Analyzer("nl")
    q = read_question("When did the formal reports come in?", [], nl, Translator.from_freedict(tmp_path, nl))
    assert q.language == "en" and q.answer_type == "when"
    by_label = {t.label: t for t in q.terms}
    assert nl.term("melding") in by_label["reports"].members
    assert nl.term("formeel") in by_label["formal"].members
    assert "when" not in by_label and "the" not in by_label


def test_untranslated_words_do_not_count_as_evidence_but_names_do(tmp_path):
    make_dictionaries(tmp_path)
    nl = Analyzer("nl")
    q = read_question("What did the mayor say about zebras for Amber?", [], nl,
                      Translator.from_freedict(tmp_path, nl))
    known = {t.label: t.known for t in q.terms}
    assert known["mayor"] and known["amber"] and not known["zebras"]


def test_hyphenated_dictionary_words_are_found_written_as_one(tmp_path):
    make_dictionaries(tmp_path)
    nl = Analyzer("nl")
    assert Translator.from_freedict(tmp_path, nl).translate("aftercare") == (nl.term("nazorg"),)


def test_a_word_sharing_one_translation_with_another_keeps_its_own_term(tmp_path):
    translator = translator_over(tmp_path, {"decide": "besluiten", "finish": "beëindigen, besluiten"}, {})
    labels = [t.label for t in read_question("When did the council decide to finish the bridge?",
                                             translator=translator).terms]
    assert "decide" in labels and "finish" in labels
    # but a word that only repeats an earlier one's terms is dropped
    dutch = [t.label for t in read_question("Wat besloot de Amsterdamse raad in Amsterdam?").terms]
    assert "amsterdamse" in dutch and "amsterdam" not in dutch


def test_a_phrase_is_looked_up_as_one_unit_as_the_dictionary_glues_it(tmp_path):
    # FreeDict's Dutch-English side writes English phrases without spaces.
    nl = Analyzer("nl")
    translator = translator_over(tmp_path, {"take over": "overnemen", "time": "tijd"},
                                 {"voorlopig": "forthetimebeing, temporary"})
    content = lambda w: w not in {"for", "the", "who", "has", "his", "over"}  # noqa: E731
    tokens = ["who", "replaced", "him", "for", "the", "time", "being"]
    assert translator.phrases(tokens, content) == [(3, 7, (nl.term("voorlopig"),))]
    # by the lemmas of its words: "taken over" is "take over"
    assert translator.phrases(["who", "has", "taken", "over", "his", "tasks"], content) == \
        [(2, 4, (nl.term("overnemen"),))]
    # a run of function words is no phrase, and a single word is no phrase
    assert translator.phrases(["for", "the"], lambda w: False) == []
    assert translator.phrases(["time"], content) == []


def test_a_phrase_and_its_words_are_one_concept(tmp_path):
    nl = Analyzer("nl")
    translator = translator_over(tmp_path,
                                 {"time": "tijd", "replace": "vervangen", "accord": "akkoord, volgen"},
                                 {"voorlopig": "forthetimebeing", "volgens": "accordingto"})
    q = read_question("Who replaced the alderman for the time being?", (), nl, translator)
    labels = {t.label: t.members for t in q.terms}
    # the phrase's translation or its word's: a sentence may write either, and counts once
    assert {nl.term("voorlopig"), nl.term("tijd")} <= set(labels["for the time being"])
    assert "time" not in labels
    # "according to" and "according" both look up volgens: one term, not two
    q = read_question("Who should intervene according to the province?", (), nl, translator)
    assert sum(nl.term("volgens") in t.members for t in q.terms) == 1


def test_country_and_language_names_come_from_cldr(tmp_path):
    make_dictionaries(tmp_path)  # FreeDict has neither
    nl = Analyzer("nl")
    translator = Translator.from_freedict(tmp_path, nl)
    assert nl.term("nederland") in translator.translate("netherlands")
    assert nl.term("duitsland") in translator.translate("germany")


def test_a_noun_the_dictionaries_lack_is_looked_up_by_its_verb(tmp_path):
    nl = Analyzer("nl")
    translator = translator_over(tmp_path, {"postpone": "uitstellen", "cancel": "afgelasten"},
                                 {"formeel": "formal"})
    assert translator.translate("postponement") == (nl.term("uitstellen"),)
    assert translator.translate("cancellation") == (nl.term("afgelasten"),)
    assert translator.translate("formation") == ()  # no verb "form" in these dictionaries


def test_the_table_is_cached_and_rebuilt_when_a_dictionary_changes(tmp_path, monkeypatch):
    folder, cache = tmp_path / "dictd", tmp_path / "cache"
    folder.mkdir()
    make_dictionaries(folder)
    nl = Analyzer("nl")
    built = Translator.from_freedict(folder, nl, cache)
    assert len(list(cache.glob("translations-*.json"))) == 1
    with monkeypatch.context() as m:  # the second start reads no dictionary
        m.setattr(translation, "read_dictd", lambda *a: pytest.fail("read the dictionaries again"))
        assert Translator.from_freedict(folder, nl, cache).table == built.table
    write_dictd(folder, "freedict-eng-nld", {"mayor": "burgemeester"})  # a changed dictionary
    os.utime(folder / "freedict-eng-nld.index", ns=(1, 1))  # (even within the same clock tick)
    rebuilt = Translator.from_freedict(folder, nl, cache)
    assert rebuilt.translate("mayor") == (nl.term("burgemeester"),)
    assert rebuilt.translate("write") == ()  # gone from the new dictionary, so not served from the cache


def test_a_cache_folder_that_cannot_be_written_only_costs_time(tmp_path):
    make_dictionaries(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    translator = Translator.from_freedict(tmp_path, Analyzer("nl"), blocker / "cache")
    assert translator is not None and translator.translate("mayor")
