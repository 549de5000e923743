"""The MCP server: five read-only tools (ask, search, get_source, list_sources, timeline) and each
source as a resource (qa://source/<id>), over a backend. Each tool's result is readable text and
structured content whose schema is its output schema. A bad argument is refused by the input schema
or with a message (a tool error the assistant can read and correct), never a traceback.

No `from __future__ import annotations` here: the SDK reads the tools' annotations, and the limits in
them are the settings' values, made when the server is."""
from collections.abc import Callable
from importlib import metadata
from typing import Annotated, Literal

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, CallToolResult, TextContent, ToolAnnotations
from mcp_types import Resource as MCPResource
from pydantic import BaseModel, ConfigDict, Field

from ..pipeline.engine import K_DEFAULT, K_MAX, K_MIN
from ..settings import default, value
from ..timeline.events import TOPIC_MAX_CHARS
from . import results, text
from .backends import Backend, BackendError

NAME = "qa"
INSTRUCTIONS = (
    "Answers questions (in English or Dutch) about a set of news articles, citing their exact sentences. "
    "Use `ask` for a question; pass the earlier turns as `history` for a follow-up ('and who took over?'). "
    "When `sources_say` is false the articles do not answer it: say so rather than guess. Quote citations as "
    "they are; `get_source` reads a cited span in context. `timeline` lists the story's dated events. "
    "Nothing here changes the articles.")
# Every tool only reads, the same call gives the same result, and nothing outside the articles is reached.
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
MAX_ID_CHARS = 200  # source ids are at most 80 characters (sources.library.ID_RULE); file names a little more


class Turn(BaseModel):
    """An earlier turn of the conversation, as /api/ask takes it."""
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=default("QA_MAX_TURN_CHARS"))  # (not an environment variable)


# The tools' parameters that do not depend on the settings.
Count = Annotated[int, Field(ge=K_MIN, le=K_MAX, description=f"how many sentences ({K_MIN}-{K_MAX})")]
SourceId = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS,
                                description="a source's id (a citation's `source`)")]
Offset = Annotated[int, Field(ge=0)]
Topic = Annotated[str, Field(min_length=1, max_length=TOPIC_MAX_CHARS,
                             description="only the events told by the sentences matching this topic or "
                                         "question")]


def structured(result: BaseModel, readable: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=readable)],
                          structured_content=result.model_dump(mode="json"))


def not_blank(words: str, what: str) -> None:
    # (the schema's minLength lets white space through, as JSON Schema has no "not blank")
    if not words.strip():
        raise ToolError(f"{what} is empty")


def answering(call: Callable[[], CallToolResult]) -> CallToolResult:
    """The backend's refusal (an unknown source, a service that cannot be reached) as a tool error."""
    try:
        return call()
    except BackendError as exc:
        raise ToolError(exc.message) from None


class QAServer(MCPServer):
    """MCPServer, with the backend's sources listed as resources (they change while a service runs)."""

    def __init__(self, backend: Backend, **options):
        super().__init__(**options)
        self.backend = backend

    async def list_resources(self) -> list[MCPResource]:
        try:
            listed = await anyio.to_thread.run_sync(self.backend.sources)
        except BackendError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=exc.message) from None
        return [*await super().list_resources(), *(
            MCPResource(uri=results.SOURCE_URI.format(id=s["id"]), name=s["id"], title=s["title"],
                        description=f"{s['publisher'] or 'news article'}, {s['date'] or 'undated'}: "
                                    f"its text, which citations' offsets count into",
                        mime_type="text/plain")
            for s in listed)]


def build(backend: Backend, log_level: str = "WARNING") -> QAServer:
    """The server over `backend`, its questions limited as the service's (QA_MAX_QUESTION_CHARS,
    QA_MAX_HISTORY_TURNS)."""
    question_chars, history_turns = value("QA_MAX_QUESTION_CHARS"), value("QA_MAX_HISTORY_TURNS")
    server = QAServer(backend, name=NAME, title="Ask the sources", instructions=INSTRUCTIONS,
                      version=metadata.version("qa"), log_level=log_level)
    Question = Annotated[str, Field(min_length=1, max_length=question_chars,  # noqa: N806
                                    description="the question, in English or Dutch")]
    History = Annotated[list[Turn], Field(  # noqa: N806
        max_length=history_turns,
        description="the conversation's earlier turns, oldest first, for a follow-up question ('and who "
                    "took over?'); the server keeps no conversation")]
    Query = Annotated[str, Field(min_length=1, max_length=question_chars,  # noqa: N806
                                 description="words, a topic or a question")]

    def outlets_of(passages: list[dict]) -> dict[str, str | None]:
        return backend.publishers(sorted({p["source"] for p in passages}))

    # (history's default is never changed: the SDK reads it from the signature, as the schema's default)
    @server.tool(annotations=READ_ONLY)
    def ask(question: Question, history: History = [], k: Count = K_DEFAULT,  # noqa: B006
            ) -> Annotated[CallToolResult, results.Answer]:
        """Answer a question from the news articles: a short answer (date, number, name, place) or the
        best sentence, its confidence, and the cited sentences with their source, title, outlet, date and
        character offsets into the source. When the articles do not answer it, `answer` is null and
        `sources_say` false (say so; do not guess). `disagreement` lists the values when the sources
        give different ones. Use this for any question about what the articles report."""
        not_blank(question, "the question")
        turns = [t.model_dump() for t in history]

        def run() -> CallToolResult:
            asked = backend.ask(question, turns, k)
            found = results.answer(question, asked, outlets_of(asked["passages"]))
            return structured(found, text.answer(found))

        return answering(run)

    @server.tool(annotations=READ_ONLY)
    def search(query: Query, k: Count = K_DEFAULT) -> Annotated[CallToolResult, results.Search]:
        """The sentences of the articles that best match a query, best first, each with its source,
        outlet, date and character offsets, without an answer or a judgement whether they answer
        anything. Use it to explore what the articles say about a topic; use `ask` for a question."""
        not_blank(query, "the query")

        def run() -> CallToolResult:
            passages = backend.ask(query, [], k)["passages"]
            outlets = outlets_of(passages)
            found = results.Search(query=query, sentences=[results.citation(p, outlets) for p in passages])
            return structured(found, text.search(found))

        return answering(run)

    @server.tool(annotations=READ_ONLY)
    def get_source(id: SourceId, start: Offset = 0, end: Offset | None = None,  # noqa: A002
                   ) -> Annotated[CallToolResult, results.SourceText]:
        """An article's text, whole or the span [start:end]: character offsets, as citations give them
        (a citation's start and end return exactly its sentence); `end` defaults to the end of the text.
        Use it to read a cited sentence in context, e.g. a few hundred characters either side of it."""

        def run() -> CallToolResult:
            doc = backend.source(id)
            length = len(doc["text"])
            stop = length if end is None else end
            if not start <= stop <= length:
                raise ToolError(f"start and end must satisfy 0 <= start <= end <= {length} (the length of "
                                f"{doc['id']}'s text); got start={start}, end={stop}")
            found = results.SourceText(id=doc["id"], title=doc["title"], outlet=doc["publisher"],
                                       date=doc["date"], length=length, start=start, end=stop,
                                       text=doc["text"][start:stop])
            return structured(found, text.source_text(found))

        return answering(run)

    @server.tool(annotations=READ_ONLY)
    def list_sources() -> Annotated[CallToolResult, results.Sources]:
        """Every article the answers come from: id, title, outlet, date, number of sentences, and its
        resource URI. Use it to see what the articles cover or to find a source's id."""

        def run() -> CallToolResult:
            entries = [results.source_entry(e) for e in backend.sources()]
            found = results.Sources(sources=entries, count=len(entries))
            return structured(found, text.sources(found))

        return answering(run)

    @server.tool(annotations=READ_ONLY)
    def timeline(q: Topic | None = None, source: SourceId | None = None,
                 ) -> Annotated[CallToolResult, results.Timeline]:
        """The story's dated events in date order, earliest first: each with its date (a day, month,
        season or year) and the sentences from every outlet that report it, with offsets; `q` keeps the
        events about a topic, `source` one source's. Use it for what happened when, the order of
        events, or what led up to something."""
        if q is not None:
            not_blank(q, "q")

        def run() -> CallToolResult:
            found = backend.timeline(q, source)
            return structured(results.timeline(found), text.timeline(found))

        return answering(run)

    @server.resource(results.SOURCE_URI.replace("{id}", "{source_id}"), mime_type="text/plain",
                     description="an article's text, exactly as the citations' offsets count it")
    def source_resource(source_id: str) -> str:
        try:
            return backend.source(source_id)["text"]
        except BackendError as exc:
            error = ResourceNotFoundError if exc.code == "not_found" else ResourceError
            raise error(exc.message) from None

    return server
