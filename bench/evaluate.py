"""Answer quality on question sets, in process (no server needed): the dev
set (eval/kit/dev.jsonl) and our own eval/extra.jsonl over the seeds,
eval/other.jsonl over eval/other/ (Dutch articles on other stories), and
eval/fresh*.jsonl over eval/fresh*/ (twenty-five more each, in seventeen sets, each written
and run before any change made for it; the last two never fitted), and eval/kit/xquad-nl (English and
Dutch questions over Dutch Wikipedia paragraphs),
scored by the shared scorer eval/kit/run_eval.py, the same code that
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
sys.path.insert(0, str(ROOT))
import gold  # noqa: E402  (bench/gold.py)

from qa.training.collect import ASIDE_SETS, OWN_SETS  # noqa: E402  the sets make train fits, and those it never sees

SHARED_EVAL = ROOT / "eval" / "kit"  # make kit copies it there
# (sources, question set) pairs run when no set is named
XQUAD = SHARED_EVAL / "xquad-nl"
DEFAULT_RUNS = [(ROOT / "seeds", SHARED_EVAL / "dev.jsonl"), (ROOT / "seeds", ROOT / "eval" / "extra.jsonl"),
                *((ROOT / "eval" / name, ROOT / "eval" / f"{name}.jsonl") for name in OWN_SETS + ASIDE_SETS),
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
        print(f"error: the scorer {SHARED_EVAL / 'run_eval.py'} is not there: make kit copies the team's "
              "evaluation kit (EVAL_KIT=DIR, default ../shared)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(SHARED_EVAL))
    import run_eval

    from qa import create_app

    logging.disable(logging.INFO)
    runs = [(args.sources, path) for path in args.sets] or DEFAULT_RUNS
    clients = {}
    pooled: dict[str, list[tuple[float, bool]]] = {}  # domain -> (confidence, right) of answered questions
    for sources, path in runs:
        if not path.exists():
            print(f"{path}: not there, skipped")
            continue
        if sources not in clients:
            clients[sources] = create_app({"TESTING": True, "QA_SOURCES": str(sources)}).test_client()
        client = clients[sources]

        answers: dict[tuple[str, int], dict] = {}

        def ask(question, history, client=client, answers=answers):
            out = client.post("/api/ask", json={"question": question, "history": history, "debug": True})
            answers[question, len(history)] = out = out.get_json()
            return out

        questions = run_eval.load(str(path))
        scores = run_eval.evaluate(ask, questions, verbose=args.verbose)
        name = f"{path.parent.name + '/' if path.parent == XQUAD else ''}{path.name}"
        print(f"{name}: {json.dumps(scores)}")
        for lang in sorted({q.get("lang") for q in questions} - {None}):
            chosen = [q for q in questions if q.get("lang") == lang]
            if len(chosen) < len(questions):
                by_lang = run_eval.evaluate(ask, chosen)
                print(f"  {lang}: " + json.dumps({k: by_lang[k] for k in ("questions", "hit@1", "hit@3",
                                                                          "recall@10", "ece")}))
        finals = [(q, answers[q["question"], 2 * len(q.get("history", []))]) for q in questions]
        kinds = wrong_kinds(finals)
        print("  short answers: " + json.dumps(kinds))
        domain = "xquad" if path.parent == XQUAD or "xquad" in path.name else "news"
        pooled.setdefault(domain, []).extend(
            (out["confidence"], bool(q.get("answerable", True) and _first_supported(q, out, run_eval)))
            for q, out in finals if out["answer"] is not None)
    for domain, rows in pooled.items():
        print(f"reliability, {domain}, answered questions (bin: n, mean confidence, share right):")
        for low in range(10):
            inside = [(c, r) for c, r in rows if min(int(c * 10), 9) == low]
            if inside:
                mean, right = (sum(x[i] for x in inside) / len(inside) for i in (0, 1))
                print(f"  {low / 10:.1f}-{(low + 1) / 10:.1f}: {len(inside):4d}  {mean:.3f}  {right:.3f}")
    if not args.sets:  # the timeline and the disagreements against the gold (bench/gold.py)
        print("timeline and disagreements against the gold (eval/gold/):")
        gold.main([])
    return 0


def _first_supported(question: dict, out: dict, run_eval) -> bool:
    support = [run_eval.norm(s) for s in question.get("support", [])]
    passages = out.get("passages") or []
    return bool(passages) and any(s in run_eval.norm(passages[0]["text"]) for s in support)


# What a question of each kind must get as a short answer: a date, a number, or a name-like phrase.
TYPED = ("when", "how_many", "who", "where")


def wrong_kinds(finals: list[tuple[dict, dict]]) -> dict:
    """Of the typed questions answered: how many got a short answer, how many a whole
    sentence instead (no answer of the kind was found), and how many a headline or title."""
    counts = {"typed_answered": 0, "short": 0, "whole_sentence": 0, "headline": 0}
    for _, out in finals:
        kind = (out.get("debug") or {}).get("answer_type")
        answer = out.get("answer")
        if kind not in TYPED or answer is None:
            continue
        counts["typed_answered"] += 1
        passages = out.get("passages") or []
        if any(answer.strip() == (p.get("title") or "").strip() for p in passages):
            counts["headline"] += 1
        elif passages and answer.strip() == passages[0]["text"].strip():
            counts["whole_sentence"] += 1
        else:
            counts["short"] += 1
    return counts


if __name__ == "__main__":
    sys.exit(main())
