"""Every setting once: its name, environment variable, type, default and
meaning, in one table read by the app factory (qa.create_app), the command
line (python -m qa: its defaults), gunicorn.conf.py and the search cluster's
settings. docs/api.md's settings table is made from it (`python -m
qa.settings docs/api.md` rewrites it; tests/test_settings.py checks it).

Kept free of the rest of qa (and of numpy): gunicorn.conf.py reads it before
anything else is loaded."""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off", "")


def boolean(value: str) -> bool:
    """One reading of a yes/no setting for all of them; anything else is refused."""
    word = value.strip().lower()
    if word in YES or word in NO:
        return word in YES
    raise ValueError(f"{value!r} is neither yes ({', '.join(YES)}) nor no ({', '.join(NO[:-1])})")


def names(value: str) -> tuple[str, ...]:
    """A comma-separated list, without the empty entries."""
    return tuple(n.strip() for n in value.split(",") if n.strip())


def optional_int(value: str) -> int | None:
    """A number, or nothing for an empty value (the default then decides)."""
    return int(value) if value.strip() else None


class SettingError(ValueError):
    """An environment variable the service cannot read."""


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable, and the app's config key unless `key`
    default: Any
    kind: Callable[[str], Any]  # reads the variable's text; a ValueError is a SettingError naming it
    meaning: str  # as docs/api.md shows it
    key: str | None = None  # the config key when it differs (Flask's own MAX_CONTENT_LENGTH)
    shown: str | None = None  # the default as the docs write it, when not the value itself
    read_by: str = "app"  # "app": create_app's config; "gunicorn": gunicorn.conf.py; "ingest"; "mcp"
    environment: bool = True  # False: a config key only, not read from the environment

    @property
    def config_key(self) -> str:
        return self.key or self.name

    def shown_default(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.default in ("", None):
            return "(none)"
        if isinstance(self.default, bool):
            return "`1`" if self.default else "`0`"
        if isinstance(self.default, float) and self.default.is_integer():
            return f"`{int(self.default)}`"
        return f"`{self.default}`"


SETTINGS: tuple[Setting, ...] = (
    Setting("QA_SOURCES", "seeds", str, "folder of `.txt` articles (read-only to the service)"),
    Setting("QA_DATA_DIR", "var/sources", str,
            "writable folder of the articles added while running (`''` for none)"),
    # A look is a stat of every file: for a folder of very many files, look less often.
    Setting("QA_WATCH_SECONDS", 2.0, float,
            "how often (at the next request) a worker lists the folders for dropped or removed "
            "files; a listing stats every file (from 1,000 sources on in a thread beside the requests: "
            "0.3 s at 40,000 files), so look less often in a folder of very many"),
    Setting("QA_ADMIN_TOKEN", "", str,
            "when set, `POST`/`PUT`/`DELETE /api/sources` need `Authorization: Bearer <token>`; unset, they "
            "answer 403"),
    Setting("QA_INDEX", "", str,
            "saved index, memory-mapped: loaded without reading a source while the files (names, sizes, "
            "modification times) are unchanged; after a few changes only the changed files are read; else "
            "rebuilt. The translation table is cached beside it (`cache/`)",
            shown="(none; `make run`: `var/index.npz`)"),
    Setting("QA_SEMANTIC", True, boolean,
            "`0` turns the sentence encoders off (USE and multilingual-e5: BM25 with translation only)"),
    Setting("QA_BACKGROUND_VECTORS", True, boolean,
            "with `QA_INDEX`: a new or updated index is written by a forked copy of the service "
            "while it starts "
            "answering, and with 2,000 sentences or more the sentence vectors are made by a "
            "background process "
            "while BM25 answers (`/healthz` shows `vectors: {done, total}`); `0`: both before serving"),
    Setting("QA_INGEST_WORKERS", None, optional_int,
            "processes that read, split and analyse the sources at start (from 2 MiB of text on); a "
            "change made "
            "while serving is read in the worker's own process (see "
            "[Changes while serving](sources.md#changes-while-serving))",
            shown="the cores", read_by="ingest"),
    # None: engine.SEMANTIC_SEARCH_MAX (tests/test_settings.py checks the shown value against it)
    Setting("QA_SEMANTIC_SEARCH_MAX", None, int,
            "above this many sentences the encoder scores BM25's candidates only (a search of every "
            "vector costs "
            "about 10 ms per 100,000 sentences)", shown="`200000`"),
    # None: engine.STATIC_VECTORS_ABOVE (tests/test_settings.py checks the shown value against it)
    Setting("QA_STATIC_VECTORS_ABOVE", None, int,
            "when more sentences than this need vectors at once (a new index, or a large change), they get "
            "static vectors, a weighted mean of the encoder's word vectors mapped into its sentence space: "
            "minutes for a million sentences where the encoder takes most of an hour (see "
            "[Performance](performance.md#static-sentence-vectors-for-a-large-archive))", shown="`200000`"),
    # None: engine.SEGMENT_MAX_SENTENCES (tests/test_settings.py checks the shown value against it)
    Setting("QA_SEGMENT_MAX_SENTENCES", None, optional_int,
            "with `QA_INDEX`: an article added, replaced or deleted while serving goes into a segment "
            "saved beside the index (the other workers read only it); from this many sentences in it "
            "(added, and those of articles replaced or deleted) it is merged into the index in the "
            "background by `python -m qa merge` (see "
            "[Changes while serving](sources.md#changes-while-serving))",
            shown="`20000`"),
    Setting("QA_BIND", "127.0.0.1:8000", str, "gunicorn bind address", read_by="gunicorn"),
    Setting("QA_WORKERS", 2, int, "gunicorn workers (the index is built before forking and shared)",
            read_by="gunicorn"),
    Setting("QA_WORKER_CLASS", "gevent", str,
            "gunicorn worker: gevent serves many connections per worker, so slow clients and open "
            "streams hold "
            "no worker (see [Operating](operating.md)); `sync` is the old model", read_by="gunicorn"),
    Setting("QA_WORKER_CONNECTIONS", 1000, int, "connections per gevent worker", read_by="gunicorn"),
    Setting("QA_KEEPALIVE", 0, int,
            "seconds a connection is kept for the next request (0: one request per connection, see "
            "`gunicorn.conf.py` for why)", read_by="gunicorn"),
    Setting("QA_THREADS", 1, int, "gunicorn threads per worker (gthread only)", read_by="gunicorn"),
    Setting("QA_TIMEOUT", 30, int, "gunicorn worker timeout in seconds", read_by="gunicorn"),
    Setting("QA_GRACEFUL_TIMEOUT", 10, int, "seconds a stopping gunicorn worker has to finish its requests",
            read_by="gunicorn"),
    Setting("QA_API_KEY", "", str, "when set, `/v1/*` and `/api/ask` need `Authorization: Bearer <key>`, "
            "and so does `python -m qa mcp --http`"),
    Setting("QA_MODEL", "qa", str, "the model name `/v1/models` lists and `/v1/chat/completions` accepts"),
    # chat front ends send the whole conversation
    Setting("QA_MAX_CHAT_BODY_BYTES", 2**20, int, "the body limit of `/v1/chat/completions`", shown="1 MiB"),
    Setting("QA_MAX_CHAT_MESSAGES", 1000, int, "messages in one `/v1/chat/completions` request",
            environment=False),
    Setting("QA_DICT_DIR", "/usr/share/dictd", str,
            "FreeDict dictd files (empty: no translation of English questions)"),
    Setting("QA_LOG_LEVEL", "INFO", str, "log level (logs go to stdout/stderr)", read_by="app, gunicorn"),
    Setting("QA_MAX_BODY_BYTES", 64 * 1024, int,
            "request body limit (413 above it)", key="MAX_CONTENT_LENGTH"),
    Setting("QA_MAX_QUESTION_CHARS", 1000, int, "question length limit"),
    Setting("QA_MAX_HISTORY_TURNS", 100, int, "history length limit"),
    Setting("QA_MAX_TURN_CHARS", 4000, int, "characters of one earlier turn", environment=False),
    Setting("QA_MAX_SOURCE_BYTES", 10 * 2**20, int,
            "larger source files are skipped (see [Operating](operating.md))", shown="10 MiB"),
    Setting("QA_RATE_LIMIT", "", str,
            "per client address on `/api/ask`, e.g. `60 per minute` (see "
            "[Operating](operating.md))", shown="off"),
    Setting("QA_LOG_QUESTIONS", False, boolean,
            "log each question at INFO (off: questions can be personal; see [Operating](operating.md))",
            shown="off"),
    Setting("QA_SEARCH_URL", "", str,
            "OpenSearch / Elasticsearch nodes, comma-separated (`http://h1:9200,http://h2:9200`): "
            "the sentence "
            "index lives in that cluster instead of in the process (see "
            "[Beyond one machine](performance.md#beyond-one-machine-a-search-cluster))"),
    Setting("QA_SEARCH_INDEX", "qa-sentences", str,
            "the alias the service reads; a rebuild makes a new index and switches the alias; added "
            "articles are "
            "shared in `<alias>-sources`"),
    Setting("QA_SEARCH_SHARDS", 3, int, "shards of a new cluster index"),
    Setting("QA_SEARCH_REPLICAS", 1, int, "replicas of a new cluster index"),
    Setting("QA_SEARCH_TIMEOUT", 2.0, float,
            "seconds per request to a node; after a failure the client tries the next node, twice at "
            "most, so a "
            "question waits at most about 3 × this before its 503"),
    # A browser page may not reach the MCP server: Host and Origin are checked (DNS rebinding).
    Setting("QA_MCP_ALLOWED_HOSTS", (), names,
            "`python -m qa mcp --http`: the `Host` values it accepts besides this machine's (`127.0.0.1`, "
            "`localhost`, `[::1]`, any port), comma-separated (`qa.example.org:443`, `myhost:*`); any "
            "other is a 421", shown="(none)", read_by="mcp"),
    Setting("QA_MCP_ALLOWED_ORIGINS", (), names,
            "`python -m qa mcp --http`: the `Origin` values it accepts besides this machine's "
            "(`http://localhost:*`, ...), comma-separated (`https://app.example.org`); a request with "
            "any other is a 403 (one without an `Origin`, i.e. not from a browser, is accepted)",
            shown="(none)", read_by="mcp"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def default(name: str) -> Any:
    return BY_NAME[name].default


def read(setting: Setting, environ=os.environ) -> Any:
    """The setting's value: its variable read, or its default when unset."""
    if not setting.environment or setting.name not in environ:
        return setting.default
    try:
        return setting.kind(environ[setting.name])
    except ValueError as exc:
        raise SettingError(f"{setting.name}={environ[setting.name]!r}: {exc}") from None


def value(name: str) -> Any:
    return read(BY_NAME[name])


def configuration(overrides: dict | None = None) -> dict:
    """The app's settings: defaults, then the environment, then `overrides` (a test's)."""
    config = {s.config_key: read(s) for s in SETTINGS if "app" in s.read_by}
    config.update(overrides or {})
    return config


# docs/api.md holds the table made from SETTINGS between these lines.
BEGIN = "<!-- settings: made by `python -m qa.settings docs/api.md` from qa/settings.py -->"
END = "<!-- end of settings -->"


def markdown() -> str:
    rows = [f"| `{s.name}` | {s.shown_default()} | {s.meaning} |" for s in SETTINGS if s.environment]
    return "\n".join(["| variable | default | meaning |", "| --- | --- | --- |", *rows])


def documented(text: str) -> str:
    """The table between BEGIN and END in a document's text."""
    found = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    if found is None:
        raise ValueError("no settings table in the document")
    return found.group(1)


def main(argv: list[str]) -> int:
    if not argv:
        print(markdown())
        return 0
    path = argv[0]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    old = documented(text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(BEGIN + "\n" + old + "\n", BEGIN + "\n" + markdown() + "\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
