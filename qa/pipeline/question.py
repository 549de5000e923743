"""Stage 7 (docs/architecture.md): read a question: its language, the kind of answer it expects, and
the weighted query terms to look up, including context from earlier turns."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..index.bm25 import QueryTerm
from ..language.analysis import Analyzer, date_mentions, normalize, stopwords, tokenize
from ..language.identification import detect_language
from ..language.lexicon import (
    AGE,
    ANAPHORA,
    BOUNDS,
    CHANGE,
    COPULA_FOCUS,
    COUNT,
    EARLIER,
    FOCUS,
    FUTURE,
    KIND_ADJECTIVES,
    KIND_FOCUS,
    MEASURES,
    MONEY,
    MONTH_NAME,
    MONTHS,
    NEGATION,
    NEW_ROLE,
    NUMBER,
    PERSONAL,
    PLACE_ROLES,
    PUBLICATION,
    QUOTE_ASKED,
    SHARE,
    TIME_OF_DAY,
    WEEKDAYS,
    WHO_IS,
    WHO_IS_ROLE,
    WORD,
    asks_for_several,
)
from ..language.neighbours import Neighbours
from ..language.translation import Translator

# The pattern matching earliest in the question decides its type; on a tie, the first listed.
_TYPE_PATTERNS = [
    ("how_many", r"\b(how (many|much|old|long|big|large|high|fast|far|often|deep|wide|tall)|hoeveel|"
                 r"hoe (oud|lang|groot|hoog|snel|ver|vaak|diep|breed)|what number of|at what age|"
                 r"op welke leeftijd|"
                 r"(what|which|welk|welke) (share|proportion|percentage|part|deel|aandeel|percentage))\b|"
                 # "What does it cost?", "Wat verdienen zij?": an amount
                 r"^\W*(what|wat)\b.*\b(cost|earn|earns|earned|pay|pays|paid|kost|kostte|kostten|"
                 r"verdient|verdienen|verdiende|verdienden|betaalt|betalen|betaalde|betaalden)\b|"
                 # "What was the (original) budget?", "What is the national average?": an amount
                 r"^\W*(what|wat)\s+(is|was|are|were|zijn|waren)\s+(the|de|het)\s+([^\W\d_]+\s+)?"
                 r"(budget|price|prijs|salary|salaris|wage|loon|fee|fine|boete|amount|bedrag|cost|costs|kosten|"
                 r"value|waarde|revenue|turnover|omzet|profit|winst|debt|schuld|average|gemiddelde|"
                 r"percentage|number|aantal|total|totaal)\b"),
    ("when", r"\b(when|what (date|year|month|day|time)|which (date|year|month|day)|since when|"
             r"wanneer|sinds wanneer|welke (datum|dag|maand)|in welk jaar|hoe laat)\b"),
    ("why", r"\b(why|for what reason|waarom|om welke reden)\b"),
    ("who", r"\b(who|whom|whose|wie|wiens|"
            r"(which|what|welke|welk) " + KIND_ADJECTIVES +
            r"(person|people|man|woman|newspaper|paper|party|parties|"
            r"organi[sz]ations?|company|companies|outlet|official|minister|politician|law|act|office|"
            r"department|agency|authority|body|court|ministry|council|committee|union|club|team|group|"
            r"institute|institution|firm|bank|alderman|aldermen|mayor|spokesman|spokeswoman|spokesperson|"
            r"judge|lawyer|director|chairman|chairwoman|chair|leader|councillor|councilor|member|members|"
            r"suspect|victim|witness|prosecutor|"
            r"persoon|personen|krant|partij|partijen|organisaties?|bedrijf|bedrijven|man|vrouw|medium|"
            r"bestuurder|politicus|wet|bureau|afdeling|instantie|instelling|dienst|rechtbank|ministerie|"
            r"raad|commissie|vakbond|club|ploeg|groep|firma|bank|wethouder|burgemeester|woordvoerder|"
            r"woordvoerster|rechter|advocaat|directeur|voorzitter|leider|raadslid|lid|leden|verdachte|"
            r"slachtoffer|getuige|officier))\b"),
    ("where", r"\b(where|waar(?!om|over|mee|door|voor|in|op|aan|uit|van|na|bij)|in welke (stad|plaats))\b"),
    ("yes_no", r"^(did|does|do|is|are|was|were|has|have|had|can|could|will|would|should|"
               r"heeft|hebben|had|hadden|is|zijn|was|waren|kan|kon|kunnen|wil|wilde|moet|moest|"
               r"zal|zou|werd|wordt)\b"),
]
_TYPE_REGEXES = [(name, re.compile(p, re.I)) for name, p in _TYPE_PATTERNS]

# Capitalised words (names) of an earlier answer.
_NAME_WORD = re.compile(r"\b[A-Z][\w'-]*")

# Interrogatives say what kind of answer is wanted (answer_type reads them),
# not what it is about, so they are not looked up.
QUESTION_WORDS = frozenset([
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "many", "much",
    "wie", "wiens", "wat", "welk", "welke", "wanneer", "waar", "waarom", "hoe", "hoeveel",
])

# The adjective of "how old", "hoe groot", ... says what kind of answer is
# wanted (an age, a size), like "many" in "how many": it is no word to look up
# ("How old is he?" should not find "de oude trappen").
_HOW_ADJECTIVE = re.compile(r"\b(?:how|hoe)\s+(old|long|big|large|high|fast|far|late|often|deep|wide|tall|"
                            r"oud|lang|groot|hoog|snel|ver|laat|vaak|diep|breed)\b", re.I)

# Words written with a capital inside a sentence: names, which need no translation.
_CAPITALISED = re.compile(r"(?<=\w[\s,;:])\s*([A-Z][\w'-]*)")
# English capitalises days and months, which name no one.
_CALENDAR_WORDS = frozenset(normalize(w) for table in (MONTHS, WEEKDAYS)
                            for words in table.values() for w in words)

# Weight of terms carried over from earlier turns: enough to steer a
# follow-up towards its topic, too little to outweigh the question's own words.
HISTORY_WEIGHT = 0.3
# An earlier answer this short is a name, a date, a number: no whole sentence.
SHORT_ANSWER_WORDS = 6


# "the month after that", "het jaar daarvoor": a period counted from a date
# named earlier in the conversation.
_RELATIVE_PERIOD = re.compile(
    r"\b(?P<unit>month|year|maand|jaar)\b.{0,20}?\b(?P<dir>after|later|next|before|earlier|previous|"
    r"daarna|erna|later|daarop|daarvoor|ervoor|eerder)\b|"
    r"\b(?P<dir2>next|previous|following|volgende|vorige)\s+(?P<unit2>month|year|maand|jaar)\b", re.I)
_FORWARD = {"after", "later", "next", "daarna", "erna", "daarop", "following", "volgende"}


def relative_period(text: str, history: Sequence[dict]) -> tuple[int, int | None] | None:
    """(year, month or None) that a relative period in `text` points at,
    counted from the latest date in the history; None if there is none."""
    m = _RELATIVE_PERIOD.search(text)
    if not m:
        return None
    unit = (m.group("unit") or m.group("unit2")).lower()
    step = 1 if (m.group("dir") or m.group("dir2")).lower() in _FORWARD else -1
    for turn in reversed(history):
        found = [(text, value) for _, _, text, value in
                 date_mentions(turn.get("content", ""), {"PREFER_DATES_FROM": "past"})]
        # Only dates written out (a year, a month name): "this year" in a
        # question would be read against today, not against the story.
        dated = [(span, value) for span, value in found
                 if re.search(r"\d{4}", span) or MONTH_NAME.search(span)]
        if not dated:
            continue
        value = dated[-1][1]
        if unit in ("month", "maand"):
            index = value.year * 12 + value.month - 1 + step
            return index // 12, index % 12 + 1
        return value.year + step, None
    return None


@dataclass(frozen=True)
class Intent:
    """What a question asks, read once from its text: the later stages read
    these, not the text (the patterns are lexicon.py's)."""

    names: frozenset[str] = frozenset()  # normalised words written with a capital inside it
    numbers: frozenset[str] = frozenset()  # numbers and years it names
    focus: str | None = None  # "Which party ...": the word after which/what, as written
    kind: str | None = None  # the noun a which/what question asks for, normalised ("What salary did ...")
    role: str | None = None  # "Who is the mayor (of X)?": the role whose holder is asked, normalised
    who_is: bool = False  # "Who is X?": the role written before X
    new_role: bool = False  # "Who will be the new coach?"
    publication: bool = False  # asks about a newspaper
    place_role: int = len(PLACE_ROLES) - 1  # where from, where to, or where something happened
    counted: str | None = None  # the noun of "how many X", "hoeveel X"
    share: bool = False  # a share of a whole: a percentage answers
    money: bool = False  # an amount of money answers
    change: bool = False  # a change in an amount: a percentage answers too
    age: bool = False  # "how old"
    measure: re.Pattern | None = None  # the units a "how deep/fast/long" question's answer is written in
    earlier: bool = False  # the amount before it changed ("oorspronkelijke")
    quote: bool = False  # "What did X say/write?"
    several: bool = False  # a which-question about a plural noun
    future: bool = False  # what is still to come
    time_of_day: bool = False  # "what time", "hoe laat"
    negated: bool = False  # denies something ("not", "geen")
    bound: tuple | None = None  # the (asks, written) pair of BOUNDS of "until when", "since when"


def read_intent(text: str, language: str) -> Intent:
    focus = FOCUS.search(text)
    kind = KIND_FOCUS.search(text) or COPULA_FOCUS.search(text)
    role = WHO_IS_ROLE.match(text)
    count = COUNT.search(text)
    return Intent(
        names=frozenset(names_in(text)),
        numbers=frozenset(NUMBER.findall(text)),
        focus=focus.group(2) if focus else None,
        kind=normalize(kind.group(2)) if kind else None,
        role=normalize(role.group(3)) if role else None,
        who_is=bool(WHO_IS.match(text)),
        new_role=bool(NEW_ROLE.search(text)),
        publication=bool(PUBLICATION.search(text)),
        place_role=next(n for n, (asks, _) in enumerate(PLACE_ROLES) if asks.search(text)),
        counted=count.group(0).split()[-1] if count else None,
        share=bool(SHARE.search(text)),
        money=bool(MONEY.search(text)),
        change=bool(CHANGE.search(text)),
        age=bool(AGE.search(text)),
        measure=next((units for asks, units in MEASURES if asks.search(text)), None),
        earlier=bool(EARLIER.search(text)),
        quote=bool(QUOTE_ASKED.search(text)),
        several=asks_for_several(text, language),
        future=bool(FUTURE.search(text)),
        time_of_day=bool(TIME_OF_DAY.search(text)),
        negated=bool(NEGATION.search(text)),
        bound=next((b for b in BOUNDS if b[0].search(text)), None),
    )


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    answer_type: str
    terms: list[QueryTerm] = field(default_factory=list)
    context_terms: list[QueryTerm] = field(default_factory=list)
    follow_up: bool = False
    intent: Intent = field(default_factory=Intent)
    # Words (and their terms) of the question and the earlier questions: an answer tells something new.
    asked: frozenset[str] = frozenset()

    @property
    def query(self) -> list[QueryTerm]:
        return self.terms + self.context_terms


def answer_type(text: str) -> str:
    """The kind of answer asked for, by the question word written first:
    "Who was informed when ...?" asks who (on a tie, the first pattern)."""
    found = [(m.start(), n, name) for n, (name, regex) in enumerate(_TYPE_REGEXES)
             for m in [regex.search(text.strip())] if m]
    return min(found)[2] if found else "what"


def names_in(text: str) -> set[str]:
    """Normalised words written with a capital inside the question: names."""
    return {normalize(w) for w in _CAPITALISED.findall(text)} - _CALENDAR_WORDS


def is_follow_up(text: str, own_terms: int) -> bool:
    """A question that points back ('he', 'that') or says too little on its own."""
    return bool(ANAPHORA.search(text)) or own_terms <= 1


def query_terms(text: str, language: str, analyzer: Analyzer, translator: Translator | None = None,
                weight: float = 1.0, neighbours: Neighbours | None = None) -> list[QueryTerm]:
    """One query term per content word. An English word becomes the synonym
    set of its Dutch translations plus the word itself (names, numbers and
    loanwords are the same in both languages); when the sources use none of
    those, the encoder's nearest words of the sources stand in."""
    english = language == "en" and translator is not None
    skip = stopwords("en") if english else None
    names = names_in(text)
    out, seen = [], set()
    verbs = {} if english else analyzer.separable_verbs(text)  # "neemt ... over": overnemen
    tokens = tokenize(_HOW_ADJECTIVE.sub(" ", text))

    def is_content(token: str) -> bool:
        return not (token in QUESTION_WORDS or (skip is not None and token in skip)
                    or analyzer.is_stopword(token))

    # English phrases the dictionary knows ("for the time being": voorlopig)
    # are one concept with their words: a sentence matches it by the
    # phrase's translation or by a word's ("fight against" gives bestrijden,
    # the sources say "streed tegen"), once ("according to" and "according"
    # both give volgens). Not across names.
    phrases = {} if not english else {
        start: (end, translations) for start, end, translations in translator.phrases(tokens, is_content)
        if not names & set(tokens[start:end])}
    phrase: tuple[int, int] | None = None  # (end, position in out) of the phrase being read
    at = 0
    while at < len(tokens):
        token = tokens[at]
        at += 1
        if phrase and at > phrase[0]:
            phrase = None
        if at - 1 in phrases:
            end, translations = phrases.pop(at - 1)
            label = " ".join(tokens[at - 1:end])
            if not set(translations) <= seen:
                seen.update(translations)
                phrase = (end, len(out))
                out.append(QueryTerm(translations, weight, label, True))
            at -= 1
            continue
        if not is_content(token):
            continue
        members, known = analyzer.query_forms(token), True
        if token in verbs:
            members = (analyzer.term(verbs[token]),)  # "neemt ... over" is not "nemen"
        if english:
            translations = translator.translate(token)
            members = tuple(dict.fromkeys(translations + members))
            if neighbours is not None and token not in names:
                translations += neighbours.for_gap(token, members)
                members = tuple(dict.fromkeys(members + translations))
            known = bool(translations) or token in names or any(c.isdigit() for c in token)
        if phrase:
            term = out[phrase[1]]
            out[phrase[1]] = replace(term, members=tuple(dict.fromkeys(term.members + members)))
            seen.update(members)
            continue
        # A word all of whose terms an earlier word already looks up
        # ("Amsterdam", "Amsterdamse") adds nothing but weight; one that only
        # shares a translation with it ("decide", "finish": besluiten) stays.
        if not set(members) <= seen:
            seen.update(members)
            out.append(QueryTerm(members, weight, token, known))
    return out


def read_question(text: str, history: Sequence[dict] = (), analyzer: Analyzer | None = None,
                  translator: Translator | None = None, neighbours: Neighbours | None = None) -> Question:
    analyzer = analyzer or Analyzer("nl")
    language = detect_language(text)
    terms = query_terms(text, language, analyzer, translator, neighbours=neighbours)
    follow_up = bool(history) and is_follow_up(text, len(terms))
    context: list[QueryTerm] = []
    period = relative_period(text, history) if history else None
    if period:
        # The period itself is what the question is about now.
        year, month = period
        words = ([MONTHS["nl"][month - 1]] if month else []) + [str(year)]
        terms = terms + [QueryTerm((analyzer.term(w),), 1.0, w) for w in words]
    elif follow_up:
        own = {m for t in terms for m in t.members}
        for turn in history[-2:]:
            content = turn.get("content", "")
            if turn.get("role") == "assistant":
                # An earlier short answer lends its names when the question
                # points at a person ("Who resigned?" "Ivens." "And who
                # replaced him?"); "it", "that" point at the topic, which the
                # user's own words carry. An answer that was a whole sentence
                # is not a person: its names would pull that sentence back.
                short = len(content.split()) <= SHORT_ANSWER_WORDS
                content = " ".join(_NAME_WORD.findall(content)) if short and PERSONAL.search(text) else ""
            if not content.strip():
                continue
            turn_terms = query_terms(content, detect_language(content), analyzer, translator,
                                     HISTORY_WEIGHT, neighbours)
            for term in turn_terms:
                if not own & set(term.members) and term not in context:
                    context.append(term)
    turns = [text, *(t.get("content", "") for t in history if t.get("role") == "user")]
    words = {normalize(w) for turn in turns for w in WORD.findall(turn)}
    asked = frozenset(words | {analyzer.term(w) for w in words})
    return Question(text, language, answer_type(text), terms, context, follow_up, read_intent(text, language),
                    asked)
