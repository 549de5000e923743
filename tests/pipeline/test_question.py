import pytest

from qa.language.analysis import Analyzer
from qa.language.lexicon import BOUNDS
from qa.pipeline.question import answer_type, detect_language, names_in, read_question, relative_period


@pytest.mark.parametrize(("question", "language"), [
    ("when did the formal reports come in", "en"),
    ("Who is the mayor of Amsterdam?", "en"),
    ("Wanneer trad de minister af?", "nl"),
    ("En wie neemt zijn taken over?", "nl"),
])
def test_language(question, language):
    assert detect_language(question) == language


@pytest.mark.parametrize(("question", "kind"), [
    ("When did it happen?", "when"),
    ("Sinds wanneer is zij minister?", "when"),
    ("In welk jaar begon het?", "when"),
    ("Who replaced him?", "who"),
    ("Wie neemt het over?", "who"),
    ("Which newspaper wrote it?", "who"),
    ("Welke partijen stemden tegen?", "who"),
    ("Which office received the complaints?", "who"),  # an organisation: a name answers
    ("Welke commissie onderzoekt het ongeluk?", "who"),
    ("Which alderman spoke about it?", "who"),  # a role: a person's name answers
    ("Which other party voted against?", "who"),  # an adjective before the kind
    ("Welke nieuwe wethouder neemt het over?", "who"),
    ("How many homes were built?", "how_many"),
    ("Hoeveel klachten kwamen er?", "how_many"),
    ("How old is she?", "how_many"),
    ("Hoe groot was de schade?", "how_many"),
    ("How fast was the tram going?", "how_many"),
    ("What did the repairs cost?", "how_many"),
    ("Hoe vaak is de petitie ondertekend?", "how_many"),
    ("Welk deel van de kosten betaalt het Rijk?", "how_many"),  # a share
    ("Wat verdienen havenarbeiders per uur?", "how_many"),
    ("What did the minister say about the costs?", "what"),
    ("Hoe lang was hij wethouder?", "how_many"),
    ("Where did she live?", "where"),
    ("Waar woont hij?", "where"),
    ("Waarom stapte hij op?", "why"),
    ("Why did he resign?", "why"),
    ("Did he apologise?", "yes_no"),
    ("Heeft hij excuses aangeboden?", "yes_no"),
    ("What did the council decide?", "what"),
    ("Wat was het oorspronkelijke budget?", "how_many"),  # an amount after a copula
    ("What was the price of the painting?", "how_many"),
    ("Who was told when the inquiry ended?", "who"),  # the question word written first decides
    ("Wie hoorde wanneer het onderzoek klaar was?", "who"),
    ("Did he say when he will leave?", "yes_no"),
    ("Wat vond de partij ervan?", "what"),
])
def test_answer_type(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(("question", "carried"), [
    ("And who replaced him?", {"laurens", "ivens"}),   # a person: the answer's names come along
    ("And what did it cost?", set()),                   # the topic: the user's words carry it
])
def test_an_earlier_answer_lends_its_names_only_to_a_question_about_a_person(question, carried):
    history = [{"role": "user", "content": "Who resigned on 5 July?"},
               {"role": "assistant", "content": "Laurens Ivens, on 5 July 2021"}]
    labels = {t.label for t in read_question(question, history).context_terms}
    assert {"laurens", "ivens"} & labels == carried
    assert "2021" not in labels  # the answer's date is not a topic


def test_an_earlier_answer_that_was_a_whole_sentence_lends_no_names():
    # Its names would pull the same sentence back for the next question.
    history = [{"role": "user", "content": "Why did Van der Berg resign?"},
               {"role": "assistant", "content": "VVD-minister Karel van der Berg van Sociale Zaken is "
                                                "donderdagavond afgetreden."}]
    labels = {t.label for t in read_question("Since when was he minister?", history).context_terms}
    assert "berg" in labels  # the user's own words are carried
    assert not {"karel", "sociale", "zaken"} & labels


@pytest.mark.parametrize("earlier", ["Wat gebeurde er in februari 2021?", "What happened in February 2021?"])
def test_the_month_after_a_dutch_or_english_date(earlier):
    # dateparser given both languages at once read "in februari 2021" as just "2021"
    assert relative_period("En de maand daarna?", [{"role": "user", "content": earlier}]) == (2021, 3)


def test_history_is_used_only_for_follow_ups_and_weighs_less():
    history = [{"role": "user", "content": "Wanneer trad de wethouder af?"}]
    standalone = read_question("Wanneer kwam de krant met het onderzoek?", history)
    assert standalone.context_terms == []
    follow_up = read_question("En wie volgde hem op?", history)
    assert follow_up.follow_up
    assert follow_up.context_terms and all(t.weight < 1 for t in follow_up.context_terms)
    assert all(t.weight == 1 for t in follow_up.terms)


def test_a_separable_verb_is_looked_up_whole_not_as_its_stem_verb():
    nl = Analyzer("nl")
    neemt = next(t for t in read_question("Wie neemt de taken over?").terms if t.label == "neemt")
    assert neemt.members == (nl.term("overnemen"),)  # "neemt ... over" is not "nemen"


@pytest.mark.parametrize(("question", "labels"), [
    ("Hoe groot was de schade?", ["schade"]),  # "groot" asks for a size, like "many" for a count
    ("Hoe oud is de verdachte?", ["verdachte"]),
])
def test_the_adjective_of_how_old_or_how_big_is_not_looked_up(question, labels):
    assert [t.label for t in read_question(question).terms] == labels


def test_days_and_months_are_no_names():
    assert names_in("Who visited the site on Sunday morning in March, with Halsema?") == {"halsema"}


@pytest.mark.parametrize(("question", "fields"), [
    ("Who is the mayor of Rotterdam?", {"role": "mayor", "names": frozenset({"rotterdam"})}),
    ("Wie wordt de nieuwe trainer?", {"role": "trainer", "new_role": True}),
    ("Who won the 2022 elections?", {"numbers": frozenset({"2022"})}),
    ("Hoeveel toeschouwers zaten er in het stadion?", {"counted": "toeschouwers"}),
    ("How much did the repairs cost?", {"money": True, "counted": None}),
    ("What share of the costs does the city pay?", {"share": True}),
    ("What was the original budget?", {"earlier": True, "kind": "budget"}),
    ("Until when is the road closed?", {"bound": BOUNDS[0]}),
    ("Why did the council not investigate?", {"negated": True}),
    ("What did Ivens write to Amber?", {"quote": True}),
    ("Welke partijen willen een onderzoek?", {"several": True, "focus": "partijen"}),
    ("When will the airport open?", {"future": True}),
    ("Where did the boy come from?", {"place_role": 0}),
])
def test_a_question_is_read_once_into_its_intent(question, fields):
    intent = read_question(question).intent
    assert {name: getattr(intent, name) for name in fields} == fields


def test_the_asked_words_include_earlier_questions_but_not_answers():
    history = [{"role": "user", "content": "Wie trad af?"}, {"role": "assistant", "content": "Ivens"}]
    asked = read_question("En waarom?", history).asked
    assert "trad" in asked and "waarom" in asked and "ivens" not in asked
