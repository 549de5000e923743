"""What the timeline and the disagreements cost (make bench): the timeline of the seeds and, restricted
by a topic (?q=), of a 100,000-sentence archive, through the API; and the time the disagreement check
adds to an answer. Targets (issue 27): 50 ms, 200 ms, 5 ms.

    python bench/timeline.py [--size 100000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GENERATOR = ROOT / "eval" / "kit" / "gen-news-corpus.py"  # make kit copies it there
TARGETS = {"seeds_timeline_ms": 50.0, "archive_topic_timeline_ms": 200.0, "disagreement_ms": 5.0}


def p50(client, url: str, rounds: int = 30, **query) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url, query_string=query)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:200]
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="where to write the archive (default: a temporary folder)")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    from qa import create_app
    from qa.timeline.events import Timeline

    figures = {}
    seeds = create_app({"TESTING": True, "QA_SOURCES": str(ROOT / "seeds"), "QA_INDEX": ""})
    client = seeds.test_client()
    figures["seeds_timeline_ms"] = p50(client, "/api/timeline")
    figures["seeds_topic_timeline_ms"] = p50(client, "/api/timeline", q="formele melding")
    engine = seeds.extensions["qa.sources"].engine
    spent = []
    for name in ("seeds", "story1", "story2"):
        gold = ROOT / "eval" / "gold" / f"{name}-disagreements.jsonl"
        folder = ROOT / "seeds" if name == "seeds" else ROOT / "eval" / name
        asking = engine if name == "seeds" else create_app(
            {"TESTING": True, "QA_SOURCES": str(folder), "QA_INDEX": ""}).extensions["qa.sources"].engine
        for line in gold.read_text(encoding="utf-8").splitlines():
            question = json.loads(line)["question"]
            asking.ask(question)  # the first time reads each sentence's dates; then kept
            spent.append(asking.ask(question).timings_ms["disagreement"])
    figures["disagreement_ms"] = statistics.median(spent)
    figures["disagreement_p99_ms"] = sorted(spent)[int(0.99 * (len(spent) - 1))]
    if not GENERATOR.exists():
        print(f"{GENERATOR} is not there (make kit): the archive row is skipped", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            folder = args.keep or Path(scratch) / "archive"
            if not folder.exists():
                subprocess.run([sys.executable, str(GENERATOR), str(folder), str(args.size)], check=True,
                               stdout=subprocess.DEVNULL)
            started = time.perf_counter()
            app = create_app({"TESTING": True, "QA_SOURCES": str(folder), "QA_INDEX": "",
                              "QA_SEMANTIC": False})
            archive = app.extensions["qa.sources"].engine
            figures["archive_start_s"] = time.perf_counter() - started
            started = time.perf_counter()
            Timeline.build(archive.corpus)  # what the start spent on it (store.TIMELINE_WARM_MAX)
            figures["archive_timeline_build_s"] = time.perf_counter() - started
            rng = random.Random(7)
            words = [w for i in rng.sample(range(len(archive.sentences)), 30)
                     for w in archive.sentences[i].text.split()[:2]]
            client = app.test_client()
            topics = [" ".join(words[n:n + 2]) for n in range(0, len(words), 2)]
            figures["archive_topic_timeline_ms"] = statistics.median(
                p50(client, "/api/timeline", rounds=3, q=topic) for topic in topics)
            figures["archive_sentences"] = len(archive.sentences)
    for name, value in figures.items():
        target = TARGETS.get(name)
        print(f"{name}: {value:.1f}" + (f" (target <= {target:.0f})" if target else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
