"""The two backends give the same answers: the engine in this process and a running service (the
shared gunicorn `server` over the same seeds) through its HTTP API; and the service's refusals
come back as BackendErrors with its code and message."""
import pytest

from qa.mcp.backends import BackendError, LocalBackend, RemoteBackend

QUESTION = "when did the formal reports come in"


@pytest.fixture(scope="module")
def local(engine):
    return LocalBackend(engine)


@pytest.fixture(scope="module")
def remote(server):
    return RemoteBackend(server)


def test_the_service_answers_as_the_engine_in_this_process(local, remote):
    here, there = local.ask(QUESTION, [], 3), remote.ask(QUESTION, [], 3)
    assert there["answer"] == here["answer"] == "early 2021"
    assert [(p["source"], p["start"], p["end"]) for p in there["passages"]] == \
        [(p["source"], p["start"], p["end"]) for p in here["passages"]]


def test_the_service_lists_and_reads_the_same_sources(local, remote):
    assert sorted(remote.sources(), key=lambda s: s["id"]) == sorted(local.sources(), key=lambda s: s["id"])
    some = local.sources()[2]["id"]
    assert remote.source(some)["text"] == local.source(some)["text"]
    assert remote.publishers([some, "no-such-source"]) == local.publishers([some]) == \
        {some: local.source(some)["publisher"]}


def test_the_service_gives_the_same_timeline(local, remote):
    assert remote.timeline("formele melding", None) == local.timeline("formele melding", None)


@pytest.mark.parametrize("backend", ["local", "remote"])
def test_an_unknown_source_is_not_found(request, backend):
    chosen = request.getfixturevalue(backend)
    for read in (lambda: chosen.source("no-such-source"), lambda: chosen.timeline(None, "no-such-source")):
        with pytest.raises(BackendError, match="no source with id 'no-such-source'") as raised:
            read()
        assert raised.value.code in ("not_found", "unknown_source")


def test_an_unreachable_service_is_a_backend_error_and_only_http_is_used():
    with pytest.raises(BackendError, match="cannot use the service") as raised:
        RemoteBackend("http://127.0.0.1:9", timeout=2).sources()
    assert raised.value.code == "unavailable"
    with pytest.raises(ValueError, match="http:// or https://"):
        RemoteBackend("file:///etc/passwd")
