"""An answer in OpenAI's Chat Completions shape, without Flask.

`conversation` reads the question and the earlier turns out of `messages`;
`completion` and `chunks` turn the engine's Result into a `chat.completion`
object or the `chat.completion.chunk` objects of a stream. Both give the same
text: the answer followed by a numbered marker per cited passage ("19 januari
2021 [1][2][3]"), each marker carrying a `url_citation` annotation whose url
opens the cited sentence in this service.

Token counts in `usage` are word counts (whitespace-separated): the service
has no tokenizer of any model, and a count of words is what it can state
truthfully."""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from ..pipeline.result import Result

# What the content says when the sources do not; the same sentence as the chat page and the terminal.
NOT_IN_SOURCES = "The sources do not say."
# Passages cited in a chat answer. The answer's sentence is among the first three for 0.86-0.96 of the
# questions of every set (hit@3 in docs/evaluation.md), and more markers crowd a chat bubble.
CHAT_K_DEFAULT = 3
# A marker the service wrote after an earlier answer ("[1]"), removed when that answer comes back as history.
_MARKERS = re.compile(r"(?:\s*\[\d{1,2}\])+\s*$")
_WORDS = re.compile(r"\S+\s*")
# The sentence that says where the sources disagree, after the markers.
SOURCES_DIFFER = "Sources differ:"
_DIFFER = re.compile(r"\s*" + re.escape(SOURCES_DIFFER) + r".*$", re.S)

# url_for-like: (source id, start, end) -> an absolute url that opens the sentence.
SentenceUrl = Callable[[str, int, int], str]


class Conversation(NamedTuple):
    question: str
    history: list[dict]  # earlier turns, oldest first, as /api/ask takes them


class ConversationError(ValueError):
    """`messages` holds no question to answer; the message says why."""


def text_of(content) -> str:
    """A message's text: a string, or the text parts of a list of parts (others are ignored)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content
                     if isinstance(part, dict) and part.get("type") == "text")


def conversation(messages: Sequence[dict], max_turns: int, max_turn_chars: int) -> Conversation:
    """The last message is the question (it must be the user's); the user and
    assistant messages before it are the history, the latest `max_turns` of
    them, each cut to `max_turn_chars`. System and developer messages carry
    instructions for a language model, which this service is not: ignored."""
    if not messages or messages[-1].get("role") != "user":
        raise ConversationError("the last message must be the user's question")
    question = text_of(messages[-1].get("content")).strip()
    if not question:
        raise ConversationError("the last user message has no text")
    history = []
    for message in messages[:-1]:
        role = message.get("role")
        if role not in ("user", "assistant"):
            continue
        text = text_of(message.get("content")).strip()
        if role == "assistant":
            # Our own earlier answer: its markers and the abstention are no words of the conversation.
            text = _MARKERS.sub("", _DIFFER.sub("", text))
            text = "" if text == NOT_IN_SOURCES else text
        history.append({"role": role, "content": text[:max_turn_chars]})
    return Conversation(question, history[-max_turns:] if max_turns else [])


class Cited(NamedTuple):
    content: str
    annotations: list[dict]


def cited_content(result: Result, sentence_url: SentenceUrl) -> Cited:
    """The answer and one marker per passage, with an annotation on each marker;
    the abstention sentence and no annotation when the sources do not say."""
    if result.answer is None:
        return Cited(NOT_IN_SOURCES, [])
    content, annotations = result.answer.strip(), []

    def cite(n: int) -> None:  # the marker of passage n (from 1), with its annotation
        nonlocal content
        passage, marker = result.passages[n - 1], f"[{n}]"
        start = len(content)
        content += marker
        annotations.append({"type": "url_citation", "url_citation": {
            "url": sentence_url(passage.source, passage.start, passage.end),
            "title": passage.title or passage.source,
            "start_index": start, "end_index": start + len(marker)}})

    content += " "
    for n in range(1, len(result.passages) + 1):
        cite(n)
    if result.disagreement is not None:  # "Sources differ: 14 miljoen euro [1][3]; 16 miljoen euro [2]."
        content += f" {SOURCES_DIFFER}"
        for m, value in enumerate(result.disagreement.values):
            content += (";" if m else "") + f" {value.text} "
            for position in value.passages:
                cite(position + 1)
        content += "."
    return Cited(content.rstrip(), annotations)


def words(text: str) -> int:
    return len(text.split())


def usage(messages: Sequence[dict], content: str) -> dict:
    prompt = sum(words(text_of(m.get("content"))) for m in messages)
    completion_words = words(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion_words,
            "total_tokens": prompt + completion_words}


def new_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


def completion(result: Result, model: str, messages: Sequence[dict], sentence_url: SentenceUrl,
               created: int | None = None, completion_id: str | None = None) -> dict:
    """A `chat.completion` object. `qa` is the extra field: the /api/ask
    response itself (answer, confidence, passages with their offsets)."""
    cited = cited_content(result, sentence_url)
    return {
        "id": completion_id or new_id(), "object": "chat.completion",
        "created": int(time.time()) if created is None else created, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": cited.content, "refusal": None,
                                 "annotations": cited.annotations}}],
        "usage": usage(messages, cited.content),
        "qa": result.to_json(),
    }


def chunks(result: Result, model: str, messages: Sequence[dict], sentence_url: SentenceUrl,
           include_usage: bool = False, created: int | None = None,
           completion_id: str | None = None) -> Iterator[dict]:
    """The `chat.completion.chunk` objects of a stream: the role, the content
    a word at a time, then an empty delta with the annotations, the finish
    reason and `qa`; with `include_usage`, a last chunk with `usage` and no
    choices (as OpenAI's `stream_options.include_usage`). Joined, the content
    deltas equal `completion(...)`'s content."""
    cited = cited_content(result, sentence_url)
    head = {"id": completion_id or new_id(), "object": "chat.completion.chunk",
            "created": int(time.time()) if created is None else created, "model": model}

    def chunk(delta: dict, finish_reason: str | None = None, **extra) -> dict:
        return {**head, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                     "finish_reason": finish_reason}], **extra}

    yield chunk({"role": "assistant", "content": ""})
    for word in _WORDS.findall(cited.content):
        yield chunk({"content": word})
    yield chunk({"annotations": cited.annotations}, "stop", qa=result.to_json())
    if include_usage:
        yield {**head, "choices": [], "usage": usage(messages, cited.content)}
