"""The MCP tools and resources over the engine in this process, driven by the SDK's own client
connected in memory (the transports are tested in test_mcp.py): what each tool returns, as text
and as structured content valid by its output schema, and how a bad argument is refused."""
import anyio
import jsonschema
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from qa.mcp.backends import LocalBackend
from qa.mcp.server import build
from qa.pipeline.engine import K_MAX, Engine
from qa.settings import value

from samples import BRIDGE, PILE, write_articles

QUESTION = "when did the formal reports come in"
FORMAL_REPORTS = "Begin 2021 hebben opnieuw vier medewerkers aan de bel getrokken"
PAROOL = "002_399f6000c6b17378"  # the one seed that names its outlet


@pytest.fixture(scope="module")
def mcp_server(engine):
    return build(LocalBackend(engine))


def with_client(server, use):
    """`use(client)`'s result, with the SDK's client connected to `server` in memory."""
    async def main():
        async with Client(server) as client:
            return await use(client)

    return anyio.run(main)


def call(server, tool: str, arguments: dict):
    return with_client(server, lambda client: client.call_tool(tool, arguments))


def output_schemas(server) -> dict:
    return {t.name: t.output_schema for t in with_client(server, lambda client: client.list_tools()).tools}


def test_the_five_tools_are_listed_read_only_with_their_schemas(mcp_server):
    tools = {t.name: t for t in with_client(mcp_server, lambda client: client.list_tools()).tools}
    assert set(tools) == {"ask", "search", "get_source", "list_sources", "timeline"}
    for tool in tools.values():
        assert tool.annotations.read_only_hint and not tool.annotations.destructive_hint, tool.name
        assert tool.output_schema and len(tool.description) > 100, tool.name
    ask = tools["ask"].input_schema
    assert ask["required"] == ["question"]
    assert ask["properties"]["question"]["maxLength"] == value("QA_MAX_QUESTION_CHARS")
    assert (ask["properties"]["k"]["minimum"], ask["properties"]["k"]["maximum"]) == (1, K_MAX)
    assert tools["get_source"].input_schema["required"] == ["id"]


def test_ask_answers_with_citations_as_text_and_as_structured_content(mcp_server):
    result = call(mcp_server, "ask", {"question": QUESTION, "k": 3})
    assert not result.is_error
    answer = result.structured_content
    jsonschema.validate(answer, output_schemas(mcp_server)["ask"])
    assert answer["answer"] == "early 2021" and answer["sources_say"] and answer["confidence"] > 0
    assert len(answer["citations"]) == 3 and answer["disagreement"] is None
    assert any(c["text"].startswith(FORMAL_REPORTS) for c in answer["citations"])
    text = result.content[0].text
    assert text.startswith("early 2021 (confidence ")
    for n, c in enumerate(answer["citations"], 1):
        assert f"[{n}] {c['text']}" in text and f"{c['source']} [{c['start']}:{c['end']}]" in text


def test_each_citation_is_the_text_at_its_offsets_in_get_source(mcp_server):
    for c in call(mcp_server, "ask", {"question": QUESTION}).structured_content["citations"]:
        span = call(mcp_server, "get_source", {"id": c["source"], "start": c["start"], "end": c["end"]})
        assert span.structured_content["text"] == c["text"]
        assert span.content[0].text.endswith("\n\n" + c["text"])
        whole = call(mcp_server, "get_source", {"id": c["source"]}).structured_content
        assert whole["text"][c["start"]:c["end"]] == c["text"]
        assert (whole["start"], whole["end"]) == (0, whole["length"]) == (0, len(whole["text"]))


def test_a_citation_names_its_outlet(mcp_server):
    result = call(mcp_server, "search", {"query": "Centrale Vertrouwenspersoon signalen", "k": 10})
    outlets = {c["source"]: c["outlet"] for c in result.structured_content["sentences"]}
    assert outlets.get(PAROOL) == "Het Parool"
    assert "Het Parool · " in result.content[0].text


def test_a_question_the_sources_do_not_answer_says_so(mcp_server):
    result = call(mcp_server, "ask", {"question": "What is the capital of France?"})
    answer = result.structured_content
    assert answer["answer"] is None and not answer["sources_say"] and answer["disagreement"] is None
    assert result.content[0].text.startswith("The sources do not say.")


def test_a_follow_up_is_read_with_its_history(mcp_server):
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "early 2021"}]
    follow_up = "how many employees made them?"
    alone = call(mcp_server, "ask", {"question": follow_up}).structured_content
    followed = call(mcp_server, "ask", {"question": follow_up, "history": history}).structured_content
    assert followed["answer"] == "4" and alone["answer"] != "4"


def test_where_the_sources_differ_the_answer_says_which_citations_give_which_value(tmp_path):
    write_articles(tmp_path, BRIDGE)
    mcp_server = build(LocalBackend(Engine.from_folder(tmp_path)))
    result = call(mcp_server, "ask", {"question": "Hoeveel kost de nieuwe Waalbrug?"})
    answer = result.structured_content
    jsonschema.validate(answer, output_schemas(mcp_server)["ask"])
    differ = answer["disagreement"]
    assert differ["kind"] == "amount"
    assert {v["value"] for v in differ["values"]} == {"14 miljoen euro", "16 miljoen euro"}
    for v in differ["values"]:
        assert all(v["value"] in answer["citations"][n]["text"] for n in v["citations"])
    assert "Sources differ: " in result.content[0].text


def test_search_gives_sentences_without_an_answer(mcp_server):
    result = call(mcp_server, "search", {"query": "Centrale Vertrouwenspersoon", "k": 4})
    found = result.structured_content
    jsonschema.validate(found, output_schemas(mcp_server)["search"])
    assert set(found) == {"query", "sentences"} and len(found["sentences"]) == 4
    assert all("centrale vertrouwenspersoon" in s["text"].lower() for s in found["sentences"][:2])
    assert result.content[0].text.startswith("[1] ")


def test_list_sources_and_the_sources_as_resources(mcp_server, engine):
    result = call(mcp_server, "list_sources", {})
    listed = result.structured_content
    jsonschema.validate(listed, output_schemas(mcp_server)["list_sources"])
    assert listed["count"] == len(engine.documents) == 5
    assert {s["id"] for s in listed["sources"]} == set(engine.documents)
    resources = with_client(mcp_server, lambda client: client.list_resources()).resources
    assert {str(r.uri) for r in resources} == {s["uri"] for s in listed["sources"]} == \
        {f"qa://source/{i}" for i in engine.documents}
    read = with_client(mcp_server, lambda client: client.read_resource(f"qa://source/{PAROOL}"))
    assert read.contents[0].text == engine.documents[PAROOL].text


def test_an_unknown_resource_is_the_protocol_s_invalid_params_error(mcp_server):
    async def read(client):
        with pytest.raises(MCPError) as raised:
            await client.read_resource("qa://source/no-such-source")
        return raised.value.error

    error = with_client(mcp_server, read)
    assert error.code == INVALID_PARAMS and "no-such-source" in error.message


def test_timeline_gives_the_dated_events_in_order(mcp_server):
    result = call(mcp_server, "timeline", {"q": "formele melding"})
    found = result.structured_content
    jsonschema.validate(found, output_schemas(mcp_server)["timeline"])
    assert found["count"] == len(found["events"]) > 1
    firsts = [e["first"] for e in found["events"]]
    assert firsts == sorted(firsts)
    assert any(s["text"].startswith(FORMAL_REPORTS) for e in found["events"] for s in e["sentences"])
    assert "February 2021" in result.content[0].text  # "begin 2021" is the February reports
    one = call(mcp_server, "timeline", {"source": PAROOL}).structured_content
    assert one["count"] > 0 and all(s["source"] == PAROOL for e in one["events"] for s in e["sentences"])


@pytest.mark.parametrize("tool, arguments, says", [
    ("ask", {"question": ""}, "at least 1 character"),
    ("ask", {"question": "   "}, "the question is empty"),
    ("ask", {"question": "x" * 1001}, "at most 1000 characters"),
    ("ask", {"question": QUESTION, "k": 0}, "greater than or equal to 1"),
    ("ask", {"question": QUESTION, "k": 21}, "less than or equal to 20"),
    ("ask", {"question": QUESTION, "history": [{"role": "system", "content": "x"}]}, "'user' or 'assistant'"),
    ("ask", {"question": QUESTION, "history": "earlier"}, "valid list"),
    ("ask", {}, "question"),
    ("search", {"query": QUESTION, "k": 99}, "less than or equal to 20"),
    ("get_source", {"id": "no-such-source"}, "no source with id 'no-such-source'"),
    ("get_source", {"id": PAROOL, "start": 10, "end": 5}, "0 <= start <= end <="),
    ("get_source", {"id": PAROOL, "end": 10**6}, "0 <= start <= end <="),
    ("get_source", {"id": PAROOL, "start": -1}, "greater than or equal to 0"),
    ("timeline", {"source": "no-such-source"}, "no source with id 'no-such-source'"),
    ("timeline", {"q": " "}, "q is empty"),
    ("timeline", {"q": "x" * 301}, "at most 300 characters"),
    ("no_such_tool", {}, "Unknown tool"),
])
def test_a_bad_argument_is_a_tool_error_saying_what_is_wrong(mcp_server, tool, arguments, says):
    result = call(mcp_server, tool, arguments)
    assert result.is_error and result.structured_content is None
    message = result.content[0].text
    assert says in message and "Traceback" not in message


def test_timeline_shows_a_date_the_outlets_dispute():
    from qa.sources.documents import parse_document

    server = build(LocalBackend(Engine([parse_document(i, t) for i, t in PILE.items()], semantic=False)))
    result = call(server, "timeline", {})
    jsonschema.validate(result.structured_content, output_schemas(server)["timeline"])
    [event] = result.structured_content["events"]
    assert event["date"] == "2021-11-12"
    assert event["disputed"] == [{"date": "2021-10", "precision": "month", "sources": ["a"]}]
    assert "sources differ: October 2021" in result.content[0].text
