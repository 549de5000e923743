"""`python -m qa chat`: the terminal conversation. The loop and the rendering
with a scripted reader; the whole program in a pseudo-terminal (pexpect),
with readline editing, colours, /new and Ctrl-D; --url against gunicorn."""
import io
import os
import sys
from pathlib import Path

import pexpect
import pytest
from conftest import gunicorn

from qa.cli import terminal

ROOT = Path(__file__).resolve().parents[2]
PASSAGE = {"source": "001_x", "title": "Ivens weg", "date": "2021-07-05", "sentence": 3,
           "text": "Ivens trad op 5 juli af.", "start": 120, "end": 144, "score": 0.9, "sources": []}


def scripted(*lines):
    feed = iter(lines)

    def read(prompt):
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return read


def test_an_answer_is_followed_by_its_numbered_citations_with_where_they_are():
    text = terminal.render({"answer": "5 juli 2021", "passages": [PASSAGE]}, terminal.Style(False))
    assert text.splitlines() == ["5 juli 2021", "[1] Ivens trad op 5 juli af.",
                                 "    Ivens weg (2021-07-05) · 001_x [120:144]"]


def test_when_the_sources_do_not_say_it_says_so_before_the_closest_matches():
    text = terminal.render({"answer": None, "passages": [PASSAGE]}, terminal.Style(False))
    assert text.splitlines()[:2] == ["The sources do not say.", "Closest matches:"]


def test_colours_only_when_asked():
    assert "\033[" not in terminal.render({"answer": "x", "passages": [PASSAGE]}, terminal.Style(False))
    assert "\033[1mx\033[0m" in terminal.render({"answer": "x", "passages": [PASSAGE]}, terminal.Style(True))
    assert not terminal.wants_colour(io.StringIO())  # not a terminal


def test_the_loop_keeps_the_conversation_until_new():
    seen = []

    def ask(question, history):
        seen.append([t["content"] for t in history])
        return {"answer": question.upper(), "passages": []}

    out = io.StringIO()
    assert terminal.chat(ask, scripted("a", "", "b", "/new", "c"), out, terminal.Style(False)) == 0
    assert seen == [[], ["a", "A"], []]
    assert "New conversation." in out.getvalue()


def test_an_error_of_the_service_is_one_line_and_the_chat_goes_on():
    def ask(question, history):
        if question == "bad":
            raise terminal.AskError("the service answered 401: wrong key")
        return {"answer": "ok", "passages": []}

    out = io.StringIO()
    terminal.chat(ask, scripted("bad", "good"), out, terminal.Style(False))
    assert "error: the service answered 401: wrong key\nok\n" in out.getvalue()


def test_the_chat_in_a_terminal():
    env = {**os.environ, "TERM": "xterm", "QA_SOURCES": str(ROOT / "seeds")}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "qa", "chat"], cwd=ROOT, env=env, encoding="utf-8",
                          timeout=120, dimensions=(40, 200))
    try:
        child.expect_exact("Ctrl-D leaves.")
        child.expect_exact("> ")
        # Typed out of order and mended with readline: Ctrl-A goes to the start of the line.
        child.send("trad Ivens af?\x01Wanneer \r")
        child.expect(r"\x1b\[1m([^\x1b]*juli[^\x1b]*)\x1b\[0m")  # the answer, in bold on a terminal
        child.expect_exact("[1]")
        child.expect_exact("> ")
        child.sendline("/new")
        child.expect_exact("New conversation.")
        child.sendline("What is the capital of France?")
        child.expect_exact("The sources do not say.")
        child.expect_exact("> ")
        child.send("\x1b[A\x1b[A\x1b[A\r")  # up three times: readline's history, back to the first question
        child.expect(r"\x1b\[1m([^\x1b]*juli[^\x1b]*)\x1b\[0m")
        child.expect_exact("> ")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


@pytest.fixture(scope="module")
def keyed_server():
    with gunicorn(QA_API_KEY="k") as url:
        yield url


def test_url_asks_a_running_service(keyed_server):
    ask = terminal.remote_asker(keyed_server, api_key="k")
    answer = ask("Wanneer trad Ivens af?", [])
    assert "juli" in answer["answer"] and len(answer["passages"]) == 3
    follow_up = ask("En wie neemt zijn taken over?", [{"role": "user", "content": "Wanneer trad Ivens af?"},
                                                      {"role": "assistant", "content": answer["answer"]}])
    assert follow_up["passages"]


def test_url_reports_a_wrong_key_and_an_unreachable_service(keyed_server):
    with pytest.raises(terminal.AskError, match="401"):
        terminal.remote_asker(keyed_server, api_key="wrong")("Wie is Ivens?", [])
    with pytest.raises(terminal.AskError, match="cannot reach"):
        terminal.remote_asker("http://127.0.0.1:9", timeout=2)("Wie is Ivens?", [])
