"""Who and where: a name of the kind asked (the holder of a role, a person, a
place written after "in"/"bij", the article's own publisher for "this
newspaper"); for "who is X" the role written before X."""
from __future__ import annotations

from ..language import spans as answers
from ..language.analysis import normalize, stopwords
from ..language.lexicon import LOCATIVE, NEW_ROLE, PLACE_BEFORE, PLACE_ROLES
from ..language.sentences import Sentence
from ..pipeline.corpus import Corpus
from ..pipeline.question import Question
from .base import FIT, AnswerType, closest_to_question, of_kind, register

# The person holding the role asked about named in full ("burgemeester Femke
# Halsema" introduces her; later mentions say "Halsema") fits more than a name.
FULL_NAME_FIT = 1.5


def mostly_asked(corpus: Corpus, name: str, asked: set) -> bool:
    """A name at least half made of the question's own words repeats it."""
    words = [w for w in answers.WORD.findall(name) if w.lower() not in answers.NAME_PARTICLES]
    repeated = sum(corpus.analyzer.term(normalize(w)) in asked for w in words)
    return bool(words) and repeated * 2 >= len(words)


def only_asked(corpus: Corpus, name: str, asked: set) -> bool:
    """Every word of a name is one of the question's."""
    words = [w for w in answers.WORD.findall(name) if w.lower() not in answers.NAME_PARTICLES]
    return all(corpus.analyzer.term(normalize(w)) in asked for w in words)


def _without_asked_tail(corpus: Corpus, name: answers.Span, asked: set) -> answers.Span:
    """The name without a tail joined by a particle that only repeats the question ("Sjoerd
    Hoekstra van Bouwbedrijf Hoekstra" asked about Bouwbedrijf Hoekstra: "Sjoerd Hoekstra"); a
    tail of one word is a surname ("Marieke van Doorninck"), kept."""
    words = list(answers.WORD.finditer(name.text))
    for m in reversed(words[1:-2]):
        if m.group(0).lower() in answers.NAME_PARTICLES and \
                only_asked(corpus, name.text[m.end():], asked):
            head = name.text[:m.start()].rstrip()
            return answers.Span(head, name.start, name.start + len(head))
    return name


def holder_of(corpus: Corpus, q: Question, role: str, p: Sentence):
    """The first name in `p` written right after the role asked about
    (or a compound ending in it): 'burgemeester Femke Halsema'."""
    analyzer = corpus.analyzer
    members = next((set(t.members) for t in q.terms if t.label == role), {analyzer.term(role)})
    # "Who will be the new coach?" is not answered by "trainer De Wit"
    # but by "de nieuwe trainer De Wit".
    new = q.intent.new_role
    # a holder may share a word with the question ("directeur Sjoerd Hoekstra van Bouwbedrijf
    # Hoekstra"), not be made of its words alone ("Bouwbedrijf Hoekstra")
    for name in answers.find_names(p.text, corpus.casing):
        if only_asked(corpus, name.text, q.asked):
            continue
        name = _without_asked_tail(corpus, name, q.asked)
        before = answers.role_before(p.text, name.text, corpus.casing)
        stem = before and analyzer.term(normalize(before.text))
        if stem and any(stem == m or (len(m) >= 5 and stem.endswith(m)) for m in members) and \
                (not new or NEW_ROLE.search(p.text[max(0, before.start - 20):before.start])):
            return name
    return None


def full_name(corpus: Corpus, name: str, best) -> str:
    """The name as the best passages write it in full: "Halsema" is
    "Femke Halsema" when one of them says so."""
    longer = [n.text for i in best for n in answers.find_names(corpus.sentences[i].text, corpus.casing)
              if n.text.endswith(" " + name)]
    return max(longer, key=len, default=name)


def find(corpus: Corpus, q: Question, p: Sentence, bound=None):
    if q.intent.role:
        return holder_of(corpus, q, q.intent.role, p)
    if q.intent.who_is:  # "Who is X?": the role written before X, not another name
        asked_about = answers.find_names(q.text, corpus.casing)
        for name in asked_about:
            role = answers.role_before(p.text, name.text, corpus.casing)
            if role and normalize(role.text) not in stopwords("nl"):
                return role
        if asked_about:
            return None
    # "Which law ...?": the answer's own kind (law) may be part of its name.
    focus = q.intent.focus and normalize(q.intent.focus)
    known = q.asked - ({focus, corpus.analyzer.term(focus)} if focus else set())
    names = answers.find_names(p.text, corpus.casing, exclude=known)
    names = [n for n in names if not mostly_asked(corpus, n.text, known)]
    if not focus:  # "SP" of "SP-wethouder" answers "which party", not "who"
        names = [n for n in names if not n.prefix]
        if q.answer_type == "who":
            names = [n for n in names if not PLACE_BEFORE.search(p.text[:n.start])] or names
    if q.answer_type == "where":  # a place: a name after "in", "bij", "at", ...
        names = [n for n in names if LOCATIVE.search(p.text[:n.start])]
    if not names and q.intent.publication:
        # "this newspaper" in an article stands for its own publisher
        publisher = corpus.documents[p.doc_id].publisher
        if publisher and answers.SELF_REFERENCE.search(p.text):
            return answers.Span(publisher, 0, 0)
    if q.answer_type == "where":
        # Where something happened ("in", "bij"), not where someone came from or went
        # ("uit Rotterdam", "naar"), unless that is asked; then the place by the question's words.
        written = PLACE_ROLES[q.intent.place_role][1]
        names = [n for n in names if written.search(p.text[:n.start])] or names
        return closest_to_question(corpus, q, p, names)
    return answers.first_or_none(names) if focus else closest_to_question(corpus, q, p, names)


def fit(corpus: Corpus, q: Question, i: int) -> float:
    span = find(corpus, q, corpus.sentences[i])
    if span is None:
        return 0.0
    if q.intent.role and len([w for w in answers.WORD.findall(span.text)
                                          if w.lower() not in answers.NAME_PARTICLES]) >= 2:
        return FULL_NAME_FIT
    return FIT


NAME = register(AnswerType(
    "fit_name", "a who/where-question, and the sentence holds a name of that kind (1.5 for the holder of the "
                "role asked about named in full)",
    of_kind("who", "where"), fit, find))
