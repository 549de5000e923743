"""Scores the timeline and the disagreements against the gold a careful reader
wrote (eval/gold/<set>-events.json, <set>-disagreements.jsonl; the format is in
docs/evaluation.md): event precision and recall, dates right, disagreement
precision and recall.

    python bench/gold.py [SET ...]      # default: every set with gold
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOLD = ROOT / "eval" / "gold"


def sources_of(name: str) -> Path:
    return ROOT / "seeds" if name == "seeds" else ROOT / "eval" / name


def gold_sets() -> list[str]:
    return sorted(p.name.removesuffix("-events.json") for p in GOLD.glob("*-events.json"))


def _norm(text: str) -> str:
    """Lower case, one space, no list bullet ("- December 2020: ...": the gold copies the line)."""
    return re.sub(r"^[-•*]\s+", "", re.sub(r"\s+", " ", text).strip().lower())


def _date_right(system: dict, gold: dict) -> bool:
    """The gold's date and precision; where the gold's sources date the event differently
    ("disputed": the other dates), any of its dates, with the others shown as disputed."""
    if "disputed" not in gold:
        return system["date"] == gold["date"]
    given = {gold["date"], *gold["disputed"]}
    shown = {system["date"], *(d["date"] for d in system.get("disputed", []))}
    return system["date"] in given and shown == given


def _same_sentence(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """One source's sentence, however the two split it (the gold copies text from the file)."""
    return a[0] == b[0] and (a[1] in b[1] or b[1] in a[1])


def score_events(system: list[dict], gold: list[dict]) -> dict:
    """Each system event matched to at most one gold event sharing a sentence
    (most shared first); precision, recall, and the matched events' dates right."""
    sys_sents = [[(s["source"], _norm(s["text"])) for s in e["sentences"]] for e in system]
    gold_sents = [[(s["source"], _norm(s["text"])) for s in e["sentences"]] for e in gold]
    pairs = sorted(((sum(any(_same_sentence(a, b) for b in g) for a in s), n, m)
                    for n, s in enumerate(sys_sents) for m, g in enumerate(gold_sents)), reverse=True)
    used_sys, used_gold, matched = set(), set(), []
    for shared, n, m in pairs:
        if shared and n not in used_sys and m not in used_gold:
            used_sys.add(n)
            used_gold.add(m)
            matched.append((n, m))
    right = sum(_date_right(system[n], gold[m]) for n, m in matched)
    return {"events": len(system), "gold": len(gold), "matched": len(matched),
            "precision": round(len(matched) / len(system), 3) if system else None,
            "recall": round(len(matched) / len(gold), 3) if gold else None,
            "dates_right": round(right / len(matched), 3) if matched else None,
            "wrong_dates": [(system[n]["date"], gold[m]["date"], gold[m]["what"]) for n, m in matched
                            if not _date_right(system[n], gold[m])],
            "unmatched": [(e["date"], e["sentences"][0]["text"][:80]) for n, e in enumerate(system)
                          if n not in used_sys]}


def flagged(found: dict | None, gold: list[dict] | None) -> str:
    """tp, fp, fn or tn: a found disagreement counts when it separates two of the gold's values."""
    if gold is None:
        return "fp" if found else "tn"
    if not found:
        return "fn"
    group = {s: n for n, v in enumerate(found["values"]) for s in v["sources"]}
    separated = {frozenset(group[s] for s in v["sources"] if s in group) for v in gold}
    groups = [g for g in separated if g]
    return "tp" if len(groups) >= 2 and len(frozenset.union(*groups)) >= 2 else "fp"


def score_set(name: str, engine=None) -> dict:
    from qa.pipeline.engine import Engine
    from qa.timeline.events import event_json

    engine = engine or Engine.from_folder(sources_of(name))
    started = time.perf_counter()
    system = [event_json(engine.corpus, e) for e in engine.timeline.events]
    timeline_ms = (time.perf_counter() - started) * 1000
    gold = json.loads((GOLD / f"{name}-events.json").read_text(encoding="utf-8"))
    out = {"set": name, "timeline": score_events(system, gold)}
    out["timeline"]["ms"] = round(timeline_ms, 1)
    path = GOLD / f"{name}-disagreements.jsonl"
    outcomes = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                found = engine.ask(q["question"]).to_json()["disagreement"]
                outcomes.append((flagged(found, q["disagreement"]), q["question"], found))
    out["disagreements"] = outcomes
    return out


def summary(outcomes: list[tuple[str, str, dict | None]]) -> dict:
    count = {k: sum(o[0] == k for o in outcomes) for k in ("tp", "fp", "fn", "tn")}
    flagged_ = count["tp"] + count["fp"]
    real = count["tp"] + count["fn"]
    return {**count, "precision": round(count["tp"] / flagged_, 3) if flagged_ else None,
            "recall": round(count["tp"] / real, 3) if real else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    every: list = []
    totals = {"events": 0, "gold": 0, "matched": 0, "right": 0}
    for name in args.sets or gold_sets():
        result = score_set(name)
        t = result["timeline"]
        totals["events"] += t["events"]
        totals["gold"] += t["gold"]
        totals["matched"] += t["matched"]
        totals["right"] += round((t["dates_right"] or 0) * t["matched"])
        every += result["disagreements"]
        shown = {k: v for k, v in t.items() if k not in ("wrong_dates", "unmatched")}
        print(f"{name}: events {json.dumps(shown)}; "
              f"disagreements {json.dumps(summary(result['disagreements']))}")
        if args.verbose:
            for wrong in t["wrong_dates"]:
                print("   wrong date:", wrong)
            for extra in t["unmatched"]:
                print("   not in the gold:", extra)
            for outcome, question, found in result["disagreements"]:
                if outcome in ("fp", "fn"):
                    print(f"   {outcome}: {question} -> {found}")
    if totals["events"]:
        print("all: events precision {:.3f} recall {:.3f} dates right {:.3f}; disagreements {}".format(
            totals["matched"] / totals["events"], totals["matched"] / max(totals["gold"], 1),
            totals["right"] / max(totals["matched"], 1), json.dumps(summary(every))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
