"""`python -m qa chat`: a conversation in the terminal, with the engine in
this process or with a running service (--url). Each answer is followed by
its numbered citations; the conversation is kept until /new; Ctrl-D leaves.
Line editing and the question history come from readline; colours only when
the output is a terminal and NO_COLOR is not set (https://no-color.org)."""
from __future__ import annotations

import contextlib
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Protocol, TextIO

from ..web.completions import CHAT_K_DEFAULT, NOT_IN_SOURCES

# Turns sent with each question: the page sends as many (qa/static/chat.js).
HISTORY_TURNS = 20
HELP = "Ask about the sources in English or Dutch. /new starts a new conversation; Ctrl-D leaves."


class Asker(Protocol):
    def __call__(self, question: str, history: list[dict]) -> dict:
        """The /api/ask response for `question` after `history`."""


class AskError(Exception):
    """The service could not answer; the message says why, in one line."""


def local_asker(engine) -> Asker:
    def ask(question: str, history: list[dict]) -> dict:
        return engine.ask(question, history, CHAT_K_DEFAULT).to_json()

    return ask


def remote_asker(url: str, api_key: str | None = None, timeout: float = 30.0) -> Asker:
    endpoint = url.rstrip("/") + "/api/ask"

    def ask(question: str, history: list[dict]) -> dict:
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        body = json.dumps({"question": question, "history": history, "k": CHAT_K_DEFAULT}).encode()
        request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                message = json.load(exc)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = exc.reason
            raise AskError(f"the service answered {exc.code}: {message}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AskError(f"cannot reach {url}: {reason}") from None

    return ask


class Style:
    """ANSI styles, or none."""

    def __init__(self, colour: bool):
        codes = {"answer": "1", "abstain": "1;33", "number": "36", "where": "2", "error": "31"}
        self.codes = codes if colour else {}

    def __call__(self, kind: str, text: str) -> str:
        code = self.codes.get(kind)
        return f"\033[{code}m{text}\033[0m" if code else text


def wants_colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def render(answer: dict, style: Style) -> str:
    """The answer (or the sentence saying the sources do not say), then one
    line per cited passage with where it is: source, title, date and offsets."""
    lines = []
    if answer["answer"] is None:
        lines.append(style("abstain", NOT_IN_SOURCES))
        if answer["passages"]:
            lines.append("Closest matches:")
    else:
        lines.append(style("answer", answer["answer"]))
    differ = answer.get("disagreement")
    if differ:
        lines.append(style("abstain", differ_line(differ, answer["passages"])))
    for n, p in enumerate(answer["passages"], 1):
        lines.append(f"{style('number', f'[{n}]')} {p['text']}")
        where = f"{p['title'] or p['source']} ({p['date'] or 'undated'})"
        lines.append("    " + style("where", f"{where} · {p['source']} [{p['start']}:{p['end']}]"))
    return "\n".join(lines)


def differ_line(differ: dict, passages: list[dict]) -> str:
    """Where the sources disagree: each value with the outlets and dates that give it, and its passages."""
    parts = []
    for v in differ["values"]:
        cited = [passages[n] for n in v["passages"] if n < len(passages)]
        outlets = ", ".join(f"{p['title'] or p['source']} ({p['date'] or 'undated'})" for p in cited)
        parts.append(f"{v['value']} {''.join(f'[{n + 1}]' for n in v['passages'])} — {outlets}")
    return "Sources differ: " + "; ".join(parts)


def chat(ask: Asker, read: Callable[[str], str] = input, out: TextIO = sys.stdout,
         style: Style | None = None) -> int:
    """The conversation loop: read a question, print the answer, until end of input."""
    style = style or Style(wants_colour(out))
    history: list[dict] = []
    print(HELP, file=out)
    while True:
        try:
            question = read("> ").strip()
        except EOFError:
            print(file=out)
            return 0
        except KeyboardInterrupt:  # Ctrl-C drops the line being typed, as in a shell
            print(file=out)
            continue
        if not question:
            continue
        if question in ("/new", "/reset"):
            history.clear()
            print("New conversation.", file=out)
            continue
        if question in ("/help", "/?"):
            print(HELP, file=out)
            continue
        try:
            answer = ask(question, history[-HISTORY_TURNS:])
        except AskError as exc:
            print(style("error", f"error: {exc}"), file=out)
            continue
        print(render(answer, style), file=out, flush=True)
        history += [{"role": "user", "content": question},
                    {"role": "assistant", "content": answer["answer"] or ""}]


def enable_line_editing() -> None:
    """readline: arrow keys, editing and the questions asked so far (kept in memory only)."""
    # Not on every platform; the chat works without it.
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (importing it gives input() line editing)
