"""The words and patterns the engine reads questions and sentences with, in
one place: question words that ask for a kind of answer, and the words that
mark a reason, a denial, a quotation, a list, a place, a bound, a unit; the
months and weekdays, the pronouns, the words of a name. A pattern that one
module alone reads stays in that module (the span finders' in spans/)."""
from __future__ import annotations

import re


def _any_word(words) -> re.Pattern:
    """One of `words`, as a whole word, in any case."""
    return re.compile(r"\b(" + "|".join(words) + r")\b", re.I)


MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
}
# A weekday placed by the week it is in, before the day or after it ("vorige week dinsdag",
# "afgelopen dinsdag", "dinsdag jl.", "last Tuesday"); a bare one is this week's.
LAST_WEEK = re.compile(r"\b(vorige week|verleden week|last week)\s*$", re.I)
# Days near the article's, without a weekday: "dit weekend", "vorige week", "volgende week".
THIS_WEEK = re.compile(r"\b(dit|afgelopen|vorig|komend) weekend\b|\b(vorige|volgende|deze|komende) week\b|"
                       r"\b(this|last|next) (weekend|week)\b", re.I)
LAST_DAY = re.compile(r"\b(afgelopen|vorige|jongstleden|last|this past)\s*$", re.I)
# Days named by their distance from the article's day ("gisteren" in an article of 18 January is
# 17 January); "gister-" also before a part of the day ("gisteravond").
NEAR_DAYS = re.compile(r"\b(eergister|gister)(?:en|avond|middag|ochtend|morgen|nacht)?\b|\b(vandaag|vanavond|"
                       r"vanmiddag|vanochtend|vanmorgen|today|tonight|yesterday)\b", re.I)
NEAR_DAY_SHIFT = {"eergister": -2, "gister": -1, "yesterday": -1}  # the rest: the article's day
# A year named by its distance ("zes jaar geleden", "two years ago") and a part of the article's own
# year ("aan het eind van het jaar", "the end of the year").
YEARS_AGO = re.compile(r"\b(\d{1,2}|[^\W\d_]+)\s+(?:jaar|years?)\s+(?:geleden|ago)\b", re.I)
PART_OF_THE_YEAR = re.compile(r"\b(?:(begin|eind|einde|medio|midden) van (?:het|dit) jaar|"
                              r"(?:the )?(beginning|end|middle) of (?:the|this) year)\b", re.I)
PART_OF_THE_YEAR_SEASON = {"begin": "early", "beginning": "early", "eind": "late", "einde": "late",
                           "end": "late", "medio": "mid", "midden": "mid", "middle": "mid"}
# A sentence telling what happened (a finite verb in the past: "stemde", "werd", "was") or what is to
# come ("zal", "verwacht", "gepland"): a month or day written without its year lies before the
# article's date in the first, after it in the second. Strong and irregular past forms are listed;
# the weak ones ("stemde", "werkten") are read by their ending and lemma (spans.dates.tense_of).
PAST_FORMS = frozenset([
    "was", "waren", "werd", "werden", "had", "hadden", "kwam", "kwamen", "ging", "gingen", "begon",
    "begonnen", "sloot", "sloten", "trad", "traden", "nam", "namen", "gaf", "gaven", "bleek", "bleken",
    "kreeg", "kregen", "zat", "zaten", "stond", "stonden", "lag", "lagen", "hield", "hielden", "viel",
    "vielen", "wist", "wisten", "zei", "zeiden", "liep", "liepen", "vond", "vonden", "schreef", "schreven",
    "bracht", "brachten", "dacht", "dachten", "koos", "kozen", "won", "wonnen", "verloor", "verloren",
    "vertrok", "vertrokken", "besloot", "besloten", "sprak", "spraken", "zag", "zagen", "bood", "boden",
    "droeg", "droegen", "trok", "trokken", "verscheen", "verschenen", "ontving", "ontvingen", "deed",
    "deden", "were", "did", "said", "took", "came", "went", "began", "gave", "found", "became"
])
FUTURE_WORDS = re.compile(r"\b(zal|zullen|zult|gaat|gaan|verwacht|verwachten|gepland|plant|planning|"
                          r"will|shall|expected|planned|scheduled|going to)\b", re.I)
# A month written out, which places a date ("in maart", "February 2021"; not "3/2").
MONTH_NAME = _any_word(MONTHS["en"] + MONTHS["nl"])
# A length of time after its number ("drie weken", "59 minutes").
TIME_LENGTH_UNITS = (r"seconden|minuten|minuut|uur|uren|dagen|dag|weken|week|maanden|maand|jaar|jaren|"
                     r"seconds?|minutes?|hours?|days?|weeks?|months?|years?")

# Pronouns. One for a person ("hij", "her"), a possessive, a plural: each
# pattern below takes the kinds it needs.
_HE_SHE = ("hij", "zij", "hem", "haar", "he", "she", "him", "her")
_HIS_HERS = ("zijn", "his", "hers")
_THEY = ("ze", "hun", "they", "them")
# A pronoun for a person named in the sentence before ("mailde Ivens haar").
PRONOUN = _any_word(_HE_SHE + _THEY + ("hen",))
# A question pointing at a person ("And who replaced him?"): an earlier
# short answer (a name) lends it its words.
PERSONAL = _any_word(_HE_SHE + _HIS_HERS)
# Words by which a question leans on an earlier turn.
ANAPHORA = _any_word(_HE_SHE + _HIS_HERS + _THEY + (
    "their", "it", "its", "that", "this", "those", "these", "there", "then",
    "daar", "toen", "daarna", "daarvoor", "ervoor", "erna", "ervan"))

# A word as written, with its inner apostrophes and hyphens ("SP-wethouder", "z'n").
WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Lower-case words that join the parts of a Dutch or English name; "voor" for
# organisations ("Onderzoeksraad voor Veiligheid").
NAME_PARTICLES = {"van", "de", "der", "den", "ter", "ten", "het", "'t", "von", "la", "le", "du", "of", "voor"}
# An article speaking of itself: "deze krant", "this newspaper".
SELF_REFERENCE = re.compile(r"\b(deze|onze|this|our) (krant|courant|site|redactie|newspaper|paper)\b", re.I)
# What costs nothing: the amount a question about a price may get.
FREE = re.compile(r"\b(gratis|kosteloos|free of charge)\b", re.I)

# Words that may stand between "which" and the kind of thing asked for:
# "which other municipality", "welke nieuwe wethouder".
KIND_ADJECTIVES = (r"(?:(?:other|else|new|old|former|first|last|next|previous|andere|ander|nieuwe|nieuw|oude|"
                   r"voormalige|eerste|laatste|volgende|vorige)\s+)?")

# Digits: the numbers a question names, which a sentence naming them answers.
NUMBER = re.compile(r"\b\d+\b")
# The word after which/what ("Which party ...", "welke nieuwe wethouder"): what the question is about.
FOCUS = re.compile(r"\b(which|what|welke|welk)\s+" + KIND_ADJECTIVES + r"([^\W\d_]+)", re.I)
# The noun a which/what question asks for ("What salary did ...", "Welke
# partijen willen ..."), past "kind of" and the like: the last of the word(s)
# between the question word and the verb ("Which construction company will
# ...": company; "What happened" has none).
KIND_FOCUS = re.compile(
    r"^\W*(which|what|welke|welk)\s+(?:(?:kind|type|sort|soort)s?\s+(?:of\s+)?)?" + KIND_ADJECTIVES +
    r"(?:[^\W\d_]+\s+)?([^\W\d_]+)\s+"
    r"(did|does|do|is|are|was|were|has|have|had|will|would|can|could|should|heeft|hebben|hadden|zijn|waren|"
    r"wil|willen|wilde|wilden|kan|kon|konden|moet|moest|moesten|zal|zou|zouden|werd|werden|wordt|worden)\b",
    re.I)
# The last word of a noun phrase after its article, before "of"/"van" or the
# end: "de technisch directeur van Vitesse" -> directeur (group 1).
_NOUN_PHRASE_HEAD = (r"(?:the|de|het)\s+(?:(?!(?:to|te|who|die|dat|that)\b)[^\W\d_]+\s+){0,2}?([^\W\d_]+)"
                     r"(?=\s+(?:of|van|at|bij|in|for|voor|from)\b|\W*$)")
# KIND_FOCUS after a copula: "What was the salary of ...?", "Wat is de naam van ...?",
# "Wat was het oorspronkelijke budget?" (the noun phrase's last word, as in WHO_IS_ROLE).
COPULA_FOCUS = re.compile(r"^\W*(what|wat|which|welke|welk)\s+(?:is|was|are|were|zijn|waren)\s+"
                          + _NOUN_PHRASE_HEAD, re.I)
# A question about a newspaper or another medium.
PUBLICATION = re.compile(r"\b(newspaper|paper|magazine|outlet|krant|dagblad|blad|tijdschrift|medium)\b", re.I)
# "What did X say/write ...?" asks for X's own words: a quotation answers it.
QUOTE_ASKED = re.compile(
    r"\bwhat (did|does|do|has|have|had) .+ (say|said|write|wrote|written|tell|told|mail|e-?mail|text|tweet|"
    r"answer|reply|respond|call|add)\b|"
    r"^\W*(en\s+)?wat (zei|zegt|zeiden|zeggen|schreef|schrijft|schreven|mailde|mailt|tweette|twitterde|"
    r"antwoordde|antwoordt|noemde|noemt|voegde)\b", re.I)
# Words between quotation marks: “...”, ‘...’, "...", ,,...''
QUOTATION = re.compile(r"[“„«]\s*\w[^”»]{3,}|‘\s*[A-Z][^’]{3,}’|\"\s*\w[^\"]{3,}\"|,,\s*\w", re.I)
# "Which portfolios/welke partijen ...?" asks for several: a list answers it
# ("als wethouder Wonen, Bouwen, Openbare Ruimte, Groen en Dierenwelzijn").
ENUMERATION = re.compile(r"\b\w+(?:\s+\w+){0,2}(?:,\s*\w+(?:\s+\w+){0,2}){1,}\s+(en|of|and|or)\s+\w+")
# A question that denies something ("not", "geen") is about a sentence that does;
# the stopword lists drop these words from the query.
NEGATION = re.compile(r"\b(not|no|never|none|nobody|nothing|niet|geen|nooit|niemand|niets|nergens)\b|n't\b",
                      re.I)
# A "why" question is answered by a sentence that gives a reason.
REASON = re.compile(r"\b(omdat|doordat|want|vanwege|wegens|daardoor|daarom|zodat|aanleiding|reden|redenen|"
                    r"oorzaak|als gevolg van|het gevolg van|te wijten aan|toe te schrijven aan|because|since|"
                    r"due to|owing to|as a result|therefore|reason|"
                    r"reasons|cause|caused by)\b", re.I)
# Causal words after which the cause follows and before which the effect
# stands ("X, omdat Y"; "X wegens Y"), unlike "daardoor" or "de reden is".
CAUSE_FOLLOWS = re.compile(r"omdat|doordat|want|vanwege|wegens|als gevolg van|het gevolg van|te wijten aan|"
                           r"toe te schrijven aan|because|since|due to|owing to|caused by", re.I)
# The prepositions that write a place before its name: where from, where
# to, where ("uit Rotterdam ... verdronken in de Rottemeren").
_FROM_PLACE = ("uit", "vanuit", "from")
_TO_PLACE = ("naar", "to")
_AT_PLACE = ("in", "bij", "te", "op", "voor", "tegenover", "naast", "nabij", "rond", "at", "on", "near",
             "outside")


def _before_place(prepositions) -> re.Pattern:
    """One of `prepositions` (and an article) ending the text before a name."""
    return re.compile(r"\b(" + "|".join(prepositions) + r")\s+(de |het |the )?$", re.I)


# A name right after one of these is a place ("in Utrecht", "bij Utrecht Centraal",
# "voor het GelreDome", "op Schiphol").
LOCATIVE = _before_place(_AT_PLACE + _TO_PLACE + _FROM_PLACE)
# "Until when ...?", "Since when ...?": the question's bound, and the words
# that write it before a date in a sentence.
BOUNDS = [
    (re.compile(r"\b(until|till|by) (when|what time)\b|\btot (wanneer|hoe laat)\b|\buiterlijk wanneer\b",
                re.I),
     re.compile(r"\b(tot|tot en met|t/m|uiterlijk|until|till|through)\s+$", re.I)),
    (re.compile(r"\b(since|from) (when|what time)\b|\b(sinds|vanaf|sedert) (wanneer|hoe laat)\b", re.I),
     re.compile(r"\b(sinds|vanaf|sedert|since|from)\s+$", re.I)),
]

# A count of things ("how many visitors", "hoeveel meldingen"), not of money
# and not of time ("al twee jaar" counts no teachers) unless time is counted.
COUNT = re.compile(r"\bhow many\s+(?!(euros?|dollars?|pounds?)\b)[^\W\d_]+|"
                   r"\bhoeveel\s+(?!euro|dollar|geld|procent)[^\W\d_]+(en|s)\b", re.I)
# Units of time: a count of them ("al twee jaar") is a length of time, not a
# count of the things a question asks about.
TIME_UNIT = re.compile(r"(jaar|jaren|maand|maanden|week|weken|dag|dagen|uur|uren|minuten|seconden|eeuw|"
                       r"eeuwen|years?|months?|weeks?|days?|hours?|minutes?|seconds?|centur(y|ies))\b", re.I)
# "How deep/far/fast/long ...?": a measure, answered by a number with its unit.
_LENGTH = r"(kilometers?|km|meters?|m|centimeters?|cm|millimeters?|mm|mijl|miles?|feet|foot|ft)\b"
_SPEED = r"(kilometers?|km|mijl|miles?)\s*(per uur|per hour|an hour|/\s*[uh])\b|km/[uh]\b"
MEASURES = [
    (re.compile(r"\b(how|hoe) (deep|high|wide|far|tall|diep|hoog|breed|ver)\b", re.I),
     re.compile(r"\s*" + _LENGTH)),
    (re.compile(r"\b(how|hoe) (fast|snel)\b", re.I), re.compile(r"\s*(" + _SPEED + ")", re.I)),
    (re.compile(r"\b(how|hoe) (long|lang)\b|\b(how much|hoeveel) (later|earlier|sooner|longer|eerder|"
                r"langer)\b", re.I),
     re.compile(r"\s*(" + _LENGTH + "|" + TIME_UNIT.pattern + ")", re.I)),
]
# A question about an amount as it was before it changed.
EARLIER = re.compile(r"\b(original|originally|initial|initially|first|previous|old|before|planned|"
                     r"oorspronkelijke?|aanvankelijke?|eerst|eerste|vorige|oude|eerder|begrote|geplande)\b",
                     re.I)
# A question about someone's age.
AGE = re.compile(r"\b(how old|hoe oud|at what age|op welke leeftijd)\b", re.I)
# A share of a whole: a percentage answers it.
SHARE = re.compile(r"\b(share|proportion|percentage|percent|per cent|procent|deel|aandeel)\b", re.I)
# A question about what is still to come.
FUTURE = re.compile(r"\b(will|shall|going to|zal|zullen|zult)\b", re.I)
# A question about a time of day, which a clock time answers.
TIME_OF_DAY = re.compile(r"\b(what time|hoe laat|welk tijdstip|what hour)\b", re.I)
# Where someone came from, where someone went, or (asked neither) where
# something happened: the question's words, and the prepositions that write
# each place before a name (those of LOCATIVE, split by role).
PLACE_ROLES = [
    (re.compile(r"\b(from|vandaan|afkomstig)\b", re.I), _before_place(_FROM_PLACE)),
    (re.compile(r"\b(to|go|goes|going|went|gone|taken|brought|sent|moved|travel\w*|naartoe|heen|gebracht|"
                r"gaan|gaat|ging|gingen|verhuis\w*|reis\w*)\b", re.I),
     _before_place(_TO_PLACE)),
    (re.compile(r""), _before_place(_AT_PLACE)),
]
# "Who is X?": answered by the role written before X.
WHO_IS = re.compile(r"^\s*(who|wie)\s+(is|was|are|were|zijn|waren)\b", re.I)
# Before a name: a place, which answers where, not who ("opgericht in Doetinchem
# door Gerrit van Dalen").
PLACE_BEFORE = re.compile(r"\b(in|te|uit|vanuit|nabij|tegenover|naast)\s+(de |het )?$", re.I)
# A role's next holder: "Who will be the new mayor?", "de nieuwe burgemeester".
NEW_ROLE = re.compile(r"\b(new|next|future|nieuwe|nieuw|volgende|toekomstige|kersverse)\b", re.I)
# "Who is the mayor of X?" (also "Who will be the new head coach?") asks for
# the person holding a role, not for a role; the role is the noun phrase's
# last word: "de technisch directeur van Vitesse" -> directeur, group 3.
WHO_IS_ROLE = re.compile(r"^\s*(who|wie)\s+(is|was|are|were|zijn|waren|will be|would be|becomes|became|wordt|"
                         r"werd|worden|werden)\s+" + _NOUN_PHRASE_HEAD, re.I)


def asks_for_several(text: str, language: str) -> bool:
    """A which-question about a plural noun: "Which portfolios ...", "Welke partijen ..."."""
    focus = FOCUS.search(text)
    noun = focus.group(2).lower() if focus else ""
    return len(noun) > 3 and (noun.endswith("en") if language == "nl" else
                              noun.endswith("s") and not noun.endswith("ss"))


# Counted nouns that any count of people or things answers.
GENERIC_COUNTS = {"mensen", "personen", "keer", "stuks", "mannen", "vrouwen"}


# A question about money: its answer is an amount of money (or a share of
# one: "how much of a pay rise" is answered by "7 procent").
MONEY = re.compile(
    r"\b(cost|costs|costed|price|prices|priced|pay|pays|paid|payment|earn|earns|earned|earnings|salary|"
    r"salaries|wage|wages|income|fee|fees|fine|fined|worth|budget|spend|spent|kost|kosten|kostte|kostten|"
    r"prijs|prijzen|betaalt|betalen|betaalde|betaalden|betaald|verdient|verdienen|verdiende|verdienden|"
    r"verdiend|salaris\w*|loon\w*|lonen|inkomen|bedrag|boete|begroting|uitgeven|uitgegeven|"
    r"subsidy|subsidies|grant|grants|compensation|damages|ransom|subsidie\w*|vergoeding\w*|"
    r"schadevergoeding\w*|losgeld|toelage\w*|uitkering\w*)\b", re.I)

# A change in an amount, which a percentage answers ("how much of a pay rise").
CHANGE = re.compile(r"\b(rise|raise|increase|decrease|cut|cuts|more|less|extra|\w*verhoging|\w*stijging|"
                    r"\w*verlaging|daling|korting|bezuiniging|meer|minder|erbij)\b", re.I)

# How a text says a number is not exact, written just before it, as lower and upper bounds ("ruim 90"
# is 90 or more, "bijna 100" at most 100) or either way ("zo'n 90"): language/values.py reads them.
AT_LEAST = re.compile(r"\b(ruim|meer dan|more than|at least|minstens|ten ?minste)\s*$", re.I)
AT_MOST = re.compile(r"\b(bijna|nearly|almost|minder dan|less than|fewer than|nog geen|under|tot wel|"
                     r"up to)\s*$", re.I)
ABOUT = re.compile(r"(\b(ongeveer|circa|zo'n|about|around|some|roughly|rond de)|\bca\.)\s*$", re.I)
# The words that date a sentence say nothing of what happened (the timeline and the disagreements
# compare what sentences say without them); index terms, as the analyzer writes them.
DATE_WORDS = frozenset(w.lower() for names in (*MONTHS.values(), *WEEKDAYS.values()) for w in names) | {
    "begin", "eind", "medio", "jaar", "maand", "week", "dag", "vorig", "dit", "deze", "volgend",
    "gisteren", "vandaag", "geleden", "weekend", "year", "month", "day", "ago", "yesterday", "today"}
