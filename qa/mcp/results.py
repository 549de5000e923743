"""The tools' results as typed values: their JSON schemas are the tools' output schemas (what an
assistant is told it gets), and they are made from the HTTP API's JSON that a backend returns.
Citations carry their outlet (the source's publisher), which /api/ask leaves to /api/sources."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SOURCE_URI = "qa://source/{id}"


class Copy(BaseModel):
    """The same sentence in a source (outlets repeat each other's sentences)."""
    source: str
    sentence: int
    start: int
    end: int


class Citation(BaseModel):
    source: str = Field(description="the source's id, for get_source and the resource qa://source/<id>")
    title: str = Field(description="the article's title")
    outlet: str | None = Field(description="the publisher, when the source names one")
    date: str | None = Field(description="the article's date: YYYY-MM-DD or YYYY-MM")
    sentence: int = Field(description="the sentence's number in the source, from 0")
    start: int = Field(description="where the sentence starts in the source's text (characters)")
    end: int = Field(description="where it ends: the source's text[start:end] is `text`")
    text: str = Field(description="the sentence, exactly as the source has it")
    score: float = Field(description="the ranking model's probability that this sentence answers")
    copies: list[Copy] = Field(description="every source with this very sentence, this one included")


class DifferingValue(BaseModel):
    value: str = Field(description="the value as the first citation giving it writes it")
    citations: list[int] = Field(description="the positions (from 0) in `citations` of the sentences "
                                             "giving it")
    sources: list[str] = Field(description="the ids of the sources giving it")


class Disagreement(BaseModel):
    kind: Literal["date", "amount", "name"]
    values: list[DifferingValue] = Field(description="the value with the most, then the most recent, support "
                                                     "first")


class Answer(BaseModel):
    question: str
    answer: str | None = Field(description="the short answer (a date, number, name, place) or the best "
                                           "sentence; null when the sources do not say")
    sources_say: bool = Field(description="false: the sources do not say, and `citations` are only the "
                                          "closest sentences, not evidence")
    confidence: float = Field(description="the probability, fitted and measured, that the answer is right")
    citations: list[Citation] = Field(description="the cited sentences, best first")
    disagreement: Disagreement | None = Field(description="null when the sources agree; else each value "
                                                          "they give for what was asked")


class Search(BaseModel):
    query: str
    sentences: list[Citation] = Field(description="the best matching sentences, best first")


class SourceText(BaseModel):
    id: str
    title: str
    outlet: str | None
    date: str | None
    length: int = Field(description="the characters of the whole text")
    start: int
    end: int
    text: str = Field(description="the source's text[start:end]")


class SourceEntry(BaseModel):
    id: str
    title: str
    outlet: str | None
    date: str | None
    sentences: int
    uri: str = Field(description="the source as an MCP resource")


class Sources(BaseModel):
    sources: list[SourceEntry]
    count: int


class DatedSentence(BaseModel):
    source: str
    title: str
    outlet: str | None
    date: str | None = Field(description="the article's date")
    sentence: int
    start: int
    end: int
    text: str


class DisputedDate(BaseModel):
    date: str
    precision: Literal["year", "season", "month", "day"]
    sources: list[str] = Field(description="the sources that give this date")


class Event(BaseModel):
    date: str = Field(description="2019, 2021-02, 2021-07-05 or a season: 2021-early, -mid, -late")
    precision: Literal["year", "season", "month", "day"]
    first: str = Field(description="the first day the date can mean (ISO)")
    last: str = Field(description="the last day it can mean (ISO)")
    sentences: list[DatedSentence] = Field(description="the sentences that report it, from every outlet")
    sources: list[str]
    disputed: list[DisputedDate] = Field(default=[], description="other dates other outlets give it (the "
                                                                 "event's date is the one most, then the "
                                                                 "most recent, give)")


class Timeline(BaseModel):
    events: list[Event] = Field(description="in date order, earliest first")
    count: int


def citation(passage: dict, outlets: dict[str, str | None]) -> Citation:
    """An /api/ask passage, with its source's outlet."""
    copies = [Copy(**c) for c in passage["sources"]]
    return Citation(source=passage["source"], title=passage["title"], outlet=outlets.get(passage["source"]),
                    date=passage["date"], sentence=passage["sentence"], start=passage["start"],
                    end=passage["end"], text=passage["text"], score=passage["score"], copies=copies)


def answer(question: str, asked: dict, outlets: dict[str, str | None]) -> Answer:
    """The /api/ask response as the ask tool's result."""
    differ = asked.get("disagreement")
    disagreement = None if differ is None else Disagreement(kind=differ["kind"], values=[
        DifferingValue(value=v["value"], citations=v["passages"], sources=v["sources"])
        for v in differ["values"]])
    return Answer(question=question, answer=asked["answer"], sources_say=asked["answer"] is not None,
                  confidence=asked["confidence"],
                  citations=[citation(p, outlets) for p in asked["passages"]], disagreement=disagreement)


def source_entry(entry: dict) -> SourceEntry:
    return SourceEntry(id=entry["id"], title=entry["title"], outlet=entry["publisher"], date=entry["date"],
                       sentences=entry["sentences"], uri=SOURCE_URI.format(id=entry["id"]))


def dated_sentence(s: dict) -> DatedSentence:
    return DatedSentence(source=s["source"], title=s["title"], outlet=s["publisher"], date=s["date"],
                         sentence=s["sentence"], start=s["start"], end=s["end"], text=s["text"])


def timeline(found: dict) -> Timeline:
    """The /api/timeline response as the timeline tool's result."""
    return Timeline(count=found["count"], events=[
        Event(date=e["date"], precision=e["precision"], first=e["first"], last=e["last"],
              sentences=[dated_sentence(s) for s in e["sentences"]], sources=e["sources"],
              disputed=[DisputedDate(**d) for d in e.get("disputed", [])])
        for e in found["events"]])
