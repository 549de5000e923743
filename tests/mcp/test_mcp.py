"""`python -m qa mcp` as assistants start it, driven by the SDK's own ClientSession: over stdio (a
subprocess, as a desktop assistant runs it), over streamable HTTP (a subprocess behind the API key
and the Host/Origin checks), and with --url answering from a running service."""
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time

import anyio
import httpx2
import pytest
import requests
from conftest import ROOT, SEEDS, free_port, serve
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from qa import create_app

KEY = "s3cret-key"
QUESTION = "when did the formal reports come in"
# Starting, the server builds the engine over the seeds first (10-15 s on two cores).
START_SECONDS = 180
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                         "clientInfo": {"name": "test", "version": "1"}}}
MCP_ACCEPT = "application/json, text/event-stream"


def environment(**settings: str) -> dict[str, str]:
    """This process's environment, with the seeds as the sources and nothing written (no data folder,
    no saved index), no API key unless given, and `settings`."""
    env = {name: v for name, v in os.environ.items() if name != "QA_API_KEY"}
    return {**env, "QA_SOURCES": str(SEEDS), "QA_DATA_DIR": "", "QA_INDEX": "", **settings}


async def conversation(session: ClientSession) -> None:
    """What an assistant does: the tools, a question, its citations read back from their sources
    (and in context), a follow-up with the conversation so far, and arguments it got wrong."""
    await session.initialize()
    tools = await session.list_tools()
    assert {t.name for t in tools.tools} == {"ask", "search", "get_source", "list_sources", "timeline"}

    asked = await session.call_tool("ask", {"question": QUESTION, "k": 3})
    answer = asked.structured_content
    assert not asked.is_error and answer["answer"] == "early 2021" and len(answer["citations"]) == 3
    assert asked.content[0].text.startswith("early 2021 (confidence ")
    for c in answer["citations"]:
        span = {"id": c["source"], "start": c["start"], "end": c["end"]}
        assert (await session.call_tool("get_source", span)).structured_content["text"] == c["text"]
    cited = answer["citations"][0]
    around = {"id": cited["source"], "start": max(0, cited["start"] - 300), "end": cited["end"] + 300}
    assert cited["text"] in (await session.call_tool("get_source", around)).structured_content["text"]
    resource = await session.read_resource(f"qa://source/{cited['source']}")
    assert resource.contents[0].text[cited["start"]:cited["end"]] == cited["text"]

    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": answer["answer"]}]
    follow_up = {"question": "how many employees made them?", "history": history}
    assert (await session.call_tool("ask", follow_up)).structured_content["answer"] == "4"

    for tool, arguments, says in [("get_source", {"id": "nothing"}, "no source with id 'nothing'"),
                                  ("search", {"query": QUESTION, "k": 21}, "less than or equal to 20"),
                                  ("ask", {"question": "  "}, "the question is empty")]:
        refused = await session.call_tool(tool, arguments)
        message = refused.content[0].text
        assert refused.is_error and says in message and "Traceback" not in message


def over_stdio(args: list[str], env: dict[str, str], use) -> None:
    """`use(session)` with `python -m qa mcp ARGS` started as a desktop assistant starts it."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "qa", "mcp", *args], cwd=str(ROOT),
                                   env=env)

    async def main():
        with tempfile.TemporaryFile("w+") as errlog, anyio.fail_after(START_SECONDS):
            async with stdio_client(params, errlog=errlog) as (read, write), \
                    ClientSession(read, write) as session:
                await use(session)

    anyio.run(main)


def test_a_desktop_assistant_s_conversation_over_stdio():
    over_stdio([], environment(), conversation)


@contextlib.contextmanager
def mcp_over_http(**settings: str):
    """`python -m qa mcp --http PORT` (the host left to its default) with `settings`; its URL."""
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed below; a pipe nobody reads would fill up)
    process = subprocess.Popen([sys.executable, "-m", "qa", "mcp", "--http", str(port)], cwd=ROOT,
                               env=environment(**settings), stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("python -m qa mcp --http did not start: " + log.read()[-2000:])
            time.sleep(0.2)
        log.seek(0)
        assert f"http://127.0.0.1:{port}/mcp (bearer key required)" in log.read()
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        finally:
            log.close()


@pytest.fixture(scope="module")
def http_url():
    with mcp_over_http(QA_API_KEY=KEY) as url:
        yield url


def over_http(url: str, headers: dict[str, str], use, statuses: list[int] | None = None) -> None:
    """`use(session)` with the SDK's streamable HTTP client, sending `headers`; the HTTP status of each
    response goes to `statuses`."""
    async def record(response: httpx2.Response) -> None:
        if statuses is not None:
            statuses.append(response.status_code)

    async def main():
        with anyio.fail_after(60):
            async with httpx2.AsyncClient(headers=headers, event_hooks={"response": [record]}) as http, \
                    streamable_http_client(url, http_client=http) as (read, write), \
                    ClientSession(read, write) as session:
                await use(session)

    anyio.run(main)


def test_an_mcp_client_s_conversation_over_http(http_url):
    over_http(http_url, {"Authorization": f"Bearer {KEY}"}, conversation)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", KEY, f"Basic {KEY}"])
def test_without_the_api_key_the_http_server_answers_401(http_url, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    raw = requests.post(http_url, json=INITIALIZE, headers={"Accept": MCP_ACCEPT, **headers}, timeout=10)
    assert raw.status_code == 401 and raw.headers["WWW-Authenticate"].startswith("Bearer")
    assert raw.json()["error"]["code"] == "invalid_api_key"

    async def refused(session: ClientSession) -> None:
        with pytest.raises(MCPError):
            await session.initialize()

    statuses: list[int] = []
    over_http(http_url, headers, refused, statuses)
    assert statuses and set(statuses) == {401}


@pytest.mark.parametrize("header, status", [({"Origin": "http://evil.example"}, 403),
                                            ({"Host": "evil.example"}, 421),
                                            ({"Origin": "http://localhost:6274"}, 200)])
def test_a_foreign_origin_or_host_is_refused_as_dns_rebinding_protection_asks(http_url, header, status):
    headers = {"Accept": MCP_ACCEPT, "Authorization": f"Bearer {KEY}", **header}
    assert requests.post(http_url, json=INITIALIZE, headers=headers, timeout=10).status_code == status


def test_url_answers_from_a_running_service(server):
    over_stdio(["--url", server], environment(), conversation)


def test_url_sends_the_service_s_api_key(engine):
    keyed = serve(create_app({"TESTING": True, "QA_ENGINE": engine, "QA_API_KEY": KEY}))
    url = f"http://127.0.0.1:{keyed.server_port}"

    async def asks(session: ClientSession) -> None:
        await session.initialize()
        asked = await session.call_tool("ask", {"question": QUESTION})
        assert asked.structured_content["answer"] == "early 2021"

    async def is_refused(session: ClientSession) -> None:
        await session.initialize()
        asked = await session.call_tool("ask", {"question": QUESTION})
        assert asked.is_error and "the service answered 401" in asked.content[0].text

    try:
        over_stdio(["--url", url], environment(QA_API_KEY=KEY), asks)
        over_stdio(["--url", url, "--api-key", "wrong"], environment(), is_refused)
    finally:
        keyed.shutdown()
