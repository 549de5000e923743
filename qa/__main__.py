"""Command line: the engine without the server.

    python -m qa index SOURCES_DIR --out INDEX      build and save the index
    python -m qa index SOURCES_DIR --search-url URL build it in a search cluster (new index, alias switched)
    python -m qa ask "question" [--sources DIR] [--index INDEX] [--json]
    python -m qa vectors INDEX                      make a saved index's sentence vectors
    python -m qa merge INDEX                        merge the changes saved beside an index into it
    python -m qa chat [--sources DIR] [--url URL]   a conversation in the terminal
    python -m qa add FILE... [--url URL --token T]  add articles (.txt, .html, .pdf) to a service or a folder
    python -m qa timeline [--sources DIR] [--q TEXT] [--source ID] [--json]   the story's dated events
    python -m qa mcp [--sources DIR | --url URL] [--http [HOST:]PORT]   the tools over MCP (stdio or HTTP)
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from .pipeline.engine import K_DEFAULT, K_MAX, K_MIN, Engine
from .settings import SettingError, value
from .sources.documents import SourceError


def _engine(args) -> Engine:
    # The articles added while running (python -m qa add, POST /api/sources) are sources too.
    data_dir = getattr(args, "data_dir", "")
    folders = [args.sources] + ([data_dir] if data_dir and Path(data_dir).is_dir() else [])
    return Engine.from_folder(folders, args.dict_dir or None, not args.no_semantic, args.index,
                              static_above=value("QA_STATIC_VECTORS_ABOVE"))


def index_command(args) -> int:
    if not args.index and not args.search_url:
        print("give --out INDEX, --search-url URL or both", file=sys.stderr)
        return 2
    started = time.perf_counter()
    engine = _engine(args)
    where = f"{args.index}: {os.path.getsize(args.index) / 2**20:.1f} MiB" if args.index else "in memory"
    print(f"indexed {len(engine.sentences)} sentences from {len(engine.documents)} sources "
          f"({len(engine.skipped)} skipped) in {time.perf_counter() - started:.1f} s; {where}")
    if args.search_url:
        from .index import cluster
        from .pipeline.ranking import CANDIDATES

        settings = cluster.ClusterSettings.from_url(args.search_url, index=args.search_index,
                                                    shards=args.shards, replicas=args.replicas)
        try:
            corpus = engine.corpus
            index = cluster.ClusterIndex(corpus.index, corpus.sentences, corpus.documents, corpus.doc_ranges,
                                         settings, CANDIDATES)
            report = index.sync(force_rebuild=True)
        except cluster.SearchUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        rate = report.sentences / max(report.seconds, 1e-9)
        print(f"search cluster: {report.sentences} sentences into a new index, alias {settings.index} "
              f"switched, in {report.seconds:.1f} s ({rate:,.0f} sentences/s)")
    for skipped in engine.skipped:
        print(f"skipped {skipped['file']}: {skipped['reason']}")
    return 0


def ask_command(args) -> int:
    engine = _engine(args)
    history = [{"role": "user", "content": turn} for turn in args.after]
    result = engine.ask(args.question, history, args.k)
    if args.json:
        print(json.dumps(result.to_json(args.debug), ensure_ascii=False, indent=2))
        return 0
    print(result.answer if result.answer is not None else "The sources do not say.")
    if result.disagreement is not None:
        from .cli.terminal import differ_line

        data = result.to_json()
        print(differ_line(data["disagreement"], data["passages"]))
    heading = "Closest matches:" if result.answer is None else "Sources:"
    if result.passages:
        print("\n" + heading)
    for n, p in enumerate(result.passages, 1):
        where = ", ".join(f"{s['source']} [{s['start']}:{s['end']}]" for s in p.sources)
        print(f"{n}. {p.text}\n   {p.title} ({p.date or 'undated'}); {where}")
    return 0


def chat_command(args) -> int:
    from .cli import terminal

    if args.url:
        asker = terminal.remote_asker(args.url, args.api_key or None)
    else:
        asker = terminal.local_asker(_engine(args))
    terminal.enable_line_editing()
    return terminal.chat(asker)


def add_command(args) -> int:
    from .cli import adding

    if args.url:
        results = adding.add_to_service(args.files, args.url, args.token or None)
    else:
        results = adding.add_to_folder(args.files, args.data_dir, args.sources, args.index)
    failed = 0
    for result in results:
        if result.ok:
            print(f"added {result.file}: {result.id} ({result.sentences} sentences) {result.title!r}")
        else:
            failed += 1
            print(f"not added {result.file}: {result.error}", file=sys.stderr)
    return 1 if failed else 0


def timeline_command(args) -> int:
    from .cli.timeline import render
    from .pipeline.question import read_question
    from .timeline.events import TimelineRequestError, event_json

    engine = _engine(args)
    try:
        events = engine.timeline.asked(args.q, args.source, lambda text: read_question(
            text, (), engine.analyzer, engine.translator, engine.neighbours))
    except TimelineRequestError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    shown = [event_json(engine.corpus, e) for e in events]
    print(json.dumps({"events": shown, "count": len(shown)}, ensure_ascii=False, indent=2) if args.json
          else render(shown))
    return 0


def mcp_command(args) -> int:
    from .mcp import serving
    from .mcp.backends import LocalBackend, RemoteBackend
    from .mcp.server import build

    if args.url:
        try:
            backend = RemoteBackend(args.url, args.api_key or None)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        args.no_semantic = args.no_semantic or not value("QA_SEMANTIC")  # (answering as the service does)
        with serving.stdout_to_stderr():
            backend = LocalBackend(_engine(args))
    server = build(backend, log_level="INFO" if args.verbose else "WARNING")
    if args.http is None:
        serving.stdio(server)
    else:
        host, port = args.http
        serving.http(server, host, port, value("QA_API_KEY") or None, value("QA_MCP_ALLOWED_HOSTS"),
                     value("QA_MCP_ALLOWED_ORIGINS"), "info" if args.verbose else "warning")
    return 0


def vectors_command(args) -> int:
    if args.static:
        from .semantic import static_background

        return static_background.fill(args.index, args.parent)
    from .semantic import background

    return background.fill(args.index, args.parent)


def merge_command(args) -> int:
    from .index import segment

    if args.niceness:
        os.nice(args.niceness)
    merged = segment.merge_saved(args.index, args.min)
    if args.verbose and not merged:
        print(f"{args.index}: nothing to merge", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        parser = _parser()
    except SettingError as exc:  # a default read from the environment
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.command == "ask":
        if not K_MIN <= args.k <= K_MAX:
            parser.error(f"-k must be between {K_MIN} and {K_MAX}")
        if not args.question.strip():
            parser.error("the question is empty")
    try:
        return args.run(args)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    """The commands, their defaults from the settings table (qa/settings.py) and so from the environment."""
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dict-dir", default=value("QA_DICT_DIR"),
                        help="FreeDict dictd files for English questions ('' to disable)")
    common.add_argument("--no-semantic", action="store_true", help="BM25 only, without the sentence encoder")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    common.add_argument("--data-dir", default=value("QA_DATA_DIR"),
                        help="the folder of added articles, read after the sources when it exists "
                             "(default: $QA_DATA_DIR or var/sources; '' for none)")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("index", parents=[common],
                                help="build the index of a sources folder and save it")
    build.add_argument("sources", help="folder of .txt articles")
    build.add_argument("--out", dest="index", help="index file to write (.npz)")
    build.add_argument("--search-url", default=value("QA_SEARCH_URL"),
                       help="OpenSearch/Elasticsearch nodes to build the index in, comma-separated "
                            "(default: $QA_SEARCH_URL)")
    build.add_argument("--search-index", default=value("QA_SEARCH_INDEX"),
                       help="the alias to switch to the new index")
    build.add_argument("--shards", type=int, default=value("QA_SEARCH_SHARDS"))
    build.add_argument("--replicas", type=int, default=value("QA_SEARCH_REPLICAS"))
    build.set_defaults(run=index_command)

    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--sources", default=value("QA_SOURCES"))
    ask.add_argument("--index", default=value("QA_INDEX") or None,
                     help="saved index to use (built and saved there if missing or stale)")
    ask.add_argument("--after", action="append", default=[], metavar="QUESTION",
                     help="an earlier question of the conversation (repeatable, oldest first)")
    ask.add_argument("-k", type=int, default=K_DEFAULT, help=f"passages to cite ({K_MIN}-{K_MAX})")
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")
    ask.add_argument("--debug", action="store_true", help="with --json: how the question was read")
    ask.set_defaults(run=ask_command)

    chat = commands.add_parser("chat", parents=[common], help="a conversation in the terminal")
    chat.add_argument("--sources", default=value("QA_SOURCES"))
    chat.add_argument("--index", default=value("QA_INDEX") or None,
                      help="saved index to use (built and saved there if missing or stale)")
    chat.add_argument("--url", help="ask a running service (e.g. http://127.0.0.1:8000) instead")
    chat.add_argument("--api-key", default=value("QA_API_KEY"),
                      help="with --url: the service's API key (default: $QA_API_KEY)")
    chat.set_defaults(run=chat_command)

    add = commands.add_parser("add", help="add articles (.txt, .html, .pdf): to a running service (--url) or "
                              "into the data folder, updating the saved index")
    add.add_argument("files", nargs="+", type=Path, help="documents to add (their extension tells the kind)")
    add.add_argument("--url", help="a running service (e.g. http://127.0.0.1:8000)")
    add.add_argument("--token", default=value("QA_ADMIN_TOKEN"),
                     help="with --url: the service's admin token (default: $QA_ADMIN_TOKEN)")
    add.add_argument("--data-dir", default=value("QA_DATA_DIR"),
                     help="without --url: the data folder to add to (default: $QA_DATA_DIR or var/sources)")
    add.add_argument("--sources", default=value("QA_SOURCES"))
    add.add_argument("--index", default=value("QA_INDEX") or None,
                     help="without --url: the saved index to bring up to date")
    add.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    add.set_defaults(run=add_command)

    timeline = commands.add_parser("timeline", parents=[common], help="the story's dated events, in order")
    timeline.add_argument("--sources", default=value("QA_SOURCES"))
    timeline.add_argument("--index", default=value("QA_INDEX") or None,
                          help="saved index to use (built and saved there if missing or stale)")
    timeline.add_argument("--q", help="only the events told by sentences that match this topic or question")
    timeline.add_argument("--source", help="only this source's sentences")
    timeline.add_argument("--json", action="store_true", help="print the API's JSON response")
    timeline.set_defaults(run=timeline_command)

    mcp = commands.add_parser("mcp", parents=[common], help="serve the tools (ask, search, get_source, "
                              "list_sources, timeline) over the Model Context Protocol: stdio, or --http")
    mcp.add_argument("--sources", default=value("QA_SOURCES"))
    mcp.add_argument("--index", default=value("QA_INDEX") or None,
                     help="saved index to use (built and saved there if missing or stale)")
    mcp.add_argument("--url", help="answer from a running service (e.g. http://127.0.0.1:8000) instead of "
                                   "the engine in this process")
    mcp.add_argument("--api-key", default=value("QA_API_KEY"),
                     help="with --url: the service's API key (default: $QA_API_KEY)")
    mcp.add_argument("--http", metavar="[HOST:]PORT", type=_address,
                     help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (HOST: 127.0.0.1 "
                          "unless given; $QA_API_KEY, when set, is required as a bearer token)")
    mcp.set_defaults(run=mcp_command)

    vectors = commands.add_parser("vectors", help="make the sentence vectors of a saved index (the service "
                                  "starts this in the background for a large archive)")
    vectors.add_argument("index", help="the saved index (.npz)")
    vectors.add_argument("--parent", type=int, help="stop when this process is gone")
    vectors.add_argument("--static", action="store_true",
                         help="static vectors (a weighted mean of the encoder's word vectors), in minutes "
                              "where the encoder takes most of an hour a million sentences")
    vectors.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    vectors.set_defaults(run=vectors_command)

    merge = commands.add_parser("merge", help="merge the changes saved beside an index (its segment) into it "
                                "(the service starts this when the segment has grown)")
    merge.add_argument("index", help="the saved index (.npz)")
    merge.add_argument("--min", type=int, default=1, help="only when the segment has this many sentences")
    merge.add_argument("--niceness", type=int, default=0, help="run at this much lower priority")
    merge.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    merge.set_defaults(run=merge_command)
    return parser


def _address(text: str) -> tuple[str, int]:
    from .mcp.serving import address

    try:
        return address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
