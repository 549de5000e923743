"""Answer quality on question sets, in process (no server needed): the dev
set (../shared/eval/dev.jsonl) and our own eval/extra.jsonl over the seeds,
eval/other.jsonl over eval/other/ (Dutch articles on other stories), and
eval/fresh*.jsonl over eval/fresh*/ (twenty-five more, in thirteen sets, each written
and run before any change made for it), and ../shared/eval/xquad-nl (English and
Dutch questions over Dutch Wikipedia paragraphs),
scored by the shared scorer ../shared/eval/run_eval.py, the same code that
scores the running service.

    python bench/evaluate.py [-v] [--sources DIR FILE.jsonl ...]
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
# Our own sets: eval/<name>.jsonl over the articles in eval/<name>/.
OWN_SETS = ["other", "fresh", *(f"fresh{n}" for n in range(2, 14))]
# (sources, question set) pairs run when no set is named
XQUAD = SHARED_EVAL / "xquad-nl"
DEFAULT_RUNS = [(ROOT / "seeds", SHARED_EVAL / "dev.jsonl"), (ROOT / "seeds", ROOT / "eval" / "extra.jsonl"),
                *((ROOT / "eval" / name, ROOT / "eval" / f"{name}.jsonl") for name in OWN_SETS),
                (XQUAD / "sources", XQUAD / "en.jsonl"), (XQUAD / "sources", XQUAD / "nl.jsonl"),
                (XQUAD / "sources", ROOT / "eval" / "xquad-followups.jsonl")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per question")
    parser.add_argument("--sources", type=Path, default=ROOT / "seeds",
                        help="folder of .txt sources for the named sets")
    args = parser.parse_args(argv)
    if not (SHARED_EVAL / "run_eval.py").exists():
        print(f"error: the scorer {SHARED_EVAL / 'run_eval.py'} is not there", file=sys.stderr)
        return 2
    sys.path.insert(0, str(SHARED_EVAL))
    sys.path.insert(0, str(ROOT))
    import run_eval

    from qa import create_app

    logging.disable(logging.INFO)
    runs = [(args.sources, path) for path in args.sets] or DEFAULT_RUNS
    clients = {}
    for sources, path in runs:
        if not path.exists():
            print(f"{path}: not there, skipped")
            continue
        if sources not in clients:
            clients[sources] = create_app({"TESTING": True, "QA_SOURCES": str(sources)}).test_client()
        client = clients[sources]

        def ask(question, history, client=client):
            return client.post("/api/ask", json={"question": question, "history": history}).get_json()

        scores = run_eval.evaluate(ask, run_eval.load(str(path)), verbose=args.verbose)
        print(f"{path.parent.name + '/' if path.parent == XQUAD else ''}{path.name}: {json.dumps(scores)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
