"""Static sentence vectors (qa/semantic/static.py) against the encoder's own:
retrieval quality, and the time to make them.

    python bench/static_vectors.py dense          # a plain dense retriever (cosine only), about 1 minute
    python bench/static_vectors.py answers        # end to end through the service's ranking, about 15 minutes
    python bench/static_vectors.py time N [--keep DIR]   # a generated archive of N sentences, saved index

Question sets: XQuAD-nl (eval/kit/xquad-nl: English and Dutch questions over the same Dutch paragraphs) and
the news sets (eval/kit/dev.jsonl and eval/extra.jsonl over the seeds, eval/other.jsonl and the
eval/fresh*.jsonl over their folders), each over its own sources as bench/evaluate.py runs them. `dense`
ranks every sentence of the sources by cosine to the question and finds the first holding a support string
(answerable questions without history): hit@1, hit@3, recall@10. `answers` asks every question through the
engine (BM25, the vectors, the ranking models; the history asked first) and scores it with the shared
scorer, eval/kit/run_eval.py.

Three ways: the encoder's sentence and question vectors (what the service has below
QA_STATIC_VECTORS_ABOVE); static sentence vectors searched with the encoder's question vector; static
sentence vectors searched with the sum of the question's static and encoder vectors (what the service does
above it, static.QuestionEncoder). `dense` adds the static question vector alone.

The map of a static model is fitted on sentences the encoder reads. Fitted on the very sentences then
searched, it learns them (it put XQuAD-nl's Dutch questions' answers first more often than the encoder
itself, 0.57 against 0.52), which an archive of a million sentences, of which 8,192 are read, does not
allow. So here it is fitted on sentences that hold no answer of the questions scored: for a news set, the
sentences of the other news folders and of XQuAD-nl; for XQuAD-nl, split in two halves by article, the news
folders and the other half (a question is scored with the model of the half its answer is not in). That is
about 1,300 sentences where the service fits on 8,192 of the archive's (with half of them, the figures
dropped by about 0.02).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.semantic import static  # noqa: E402
from qa.semantic.vectors import SentenceVectors  # noqa: E402
from qa.training.collect import ASIDE_SETS, OWN_SETS  # noqa: E402

KIT = ROOT / "eval" / "kit"
XQUAD = KIT / "xquad-nl"
NEWS = [("dev", ROOT / "seeds", KIT / "dev.jsonl"), ("extra", ROOT / "seeds", ROOT / "eval" / "extra.jsonl"),
        *((name, ROOT / "eval" / name, ROOT / "eval" / f"{name}.jsonl") for name in OWN_SETS + ASIDE_SETS)]
HALVES = 2
ENCODER, STATIC_ENCODER_Q, STATIC_STATIC_Q, STATIC_BOTH = (
    "encoder", "static, encoder's question", "static, static question", "static, both (the service)")


def _run_eval():
    sys.path.insert(0, str(KIT))
    import run_eval

    return run_eval


class Texts:
    """Sentences of folders as the engine splits them, and the encoder's vectors of texts (each once)."""

    def __init__(self, encoder):
        self.encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}
        self._folders: dict[Path, tuple[list[str], list[str]]] = {}

    def sentences(self, folder: Path) -> tuple[list[str], list[str]]:
        """(sentence texts, the file name of each)."""
        if folder not in self._folders:
            from qa.index import ingest
            from qa.language.analysis import Analyzer
            from qa.sources.documents import list_folders, read_sources

            files, _ = list_folders([folder])
            documents, _ = read_sources(files)
            table = ingest.build(documents, Analyzer("nl")).sentences
            self._folders[folder] = ([table[i].text for i in range(len(table))],
                                     [Path(documents[d].path).name for d in table.doc.tolist()])
        return self._folders[folder]

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.encoder.encode(missing), strict=True))
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 512), np.float32)


def article_half(name: str) -> int:
    """XQuAD-nl's files are numbered four paragraphs to an article: 001-004 the first."""
    return ((int(name.split("_", 1)[0]) - 1) // 4) % HALVES


def runs(texts: Texts) -> list[dict]:
    """Each question set: {"name", "folder", "questions", "fits": one (fit texts, half) per static
    model; half None: the model scores every question, else those whose answer is in that half}."""
    run_eval = _run_eval()
    news_folders = sorted({folder for _, folder, _ in NEWS})
    xquad_texts, xquad_files = texts.sentences(XQUAD / "sources")
    found = []
    for name, folder, path in NEWS:
        if path.exists():
            fit = [t for other in news_folders if other != folder for t in texts.sentences(other)[0]]
            found.append({"name": name, "folder": folder, "questions": run_eval.load(path),
                          "fits": [(fit + xquad_texts, None)]})
    news_texts = [t for folder in news_folders for t in texts.sentences(folder)[0]]
    fits = [(news_texts + [t for t, f in zip(xquad_texts, xquad_files, strict=True)
                           if article_half(f) != half], half) for half in range(HALVES)]
    for lang in ("en", "nl"):
        found.append({"name": f"xquad-{lang}", "folder": XQUAD / "sources",
                      "questions": run_eval.load(XQUAD / f"{lang}.jsonl"), "fits": fits})
    return found


def gold(question: dict, sentences: list[str]) -> set[int]:
    """The sentences holding a support string of the question."""
    run_eval = _run_eval()
    support = [run_eval.norm(s) for s in question.get("support", [])]
    return {i for i, t in enumerate(sentences) if support and any(s in run_eval.norm(t) for s in support)}


def half_of(question: dict, sentences: list[str], files: list[str], n: int) -> int:
    """The half of XQuAD-nl the question's answer is in (alternating for those without one)."""
    found = sorted(files[i] for i in gold(question, sentences))
    return article_half(found[0]) if found else n % HALVES


class Models:
    """The static models of the runs, distilled once each (their words' vectors shared)."""

    def __init__(self, texts: Texts, ridge: float = static.RIDGE):
        self.texts, self.ridge, self.known, self._made = texts, ridge, None, {}

    def of(self, run: dict, fit_texts: list[str], half) -> static.StaticModel:
        key = (run["folder"], half)
        if key not in self._made:
            sentences, _ = self.texts.sentences(run["folder"])
            model = static.StaticModel.distil(sentences, self.texts.encoder, known=self.known,
                                              ridge=self.ridge, fit=(fit_texts, self.texts.encode(fit_texts)))
            self.known = model if self.known is None else _merged(self.known, model)
            self._made[key] = model
        return self._made[key]


def _merged(a: static.StaticModel, b: static.StaticModel) -> static.StaticModel:
    """A model holding the words' vectors of both (to take known words from)."""
    extra = [n for n, w in enumerate(b.words) if w not in a.row]
    words = a.words + [b.words[n] for n in extra]
    keys = static.keys_of(words)
    return static.StaticModel(np.sort(keys), np.ones(len(keys), np.float32), a.mapping, a.offset, words,
                              a.vectors.append(b.vectors.rows(extra)))


def dense(args) -> int:
    from qa.semantic.encoders import SentenceEncoder

    encoder = SentenceEncoder()
    texts = Texts(encoder)
    models = Models(texts, args.ridge)
    pooled: dict[str, dict[str, list[int]]] = {}
    for run in runs(texts):
        sentences, files = texts.sentences(run["folder"])
        asked = [q for q in run["questions"] if q.get("answerable", True) and not q.get("history")
                 and gold(q, sentences)]
        golds = [gold(q, sentences) for q in asked]
        questions = [q["question"] for q in asked]
        full_q = texts.encode(questions)
        ranks = {ENCODER: _first_right(texts.encode(sentences) @ full_q.T, golds)}
        for label in (STATIC_ENCODER_Q, STATIC_STATIC_Q, STATIC_BOTH):
            ranks[label] = np.zeros(len(asked), dtype=np.int64)
        for fit_texts, half in run["fits"]:
            model = models.of(run, fit_texts, half)
            mine = np.array([half is None or half_of(q, sentences, files, n) == half
                             for n, q in enumerate(asked)], dtype=bool)
            vectors = model.sentence_vectors(sentences).decoded()
            chosen = [g for g, m in zip(golds, mine, strict=True) if m]
            for label, q in ((STATIC_ENCODER_Q, full_q), (STATIC_STATIC_Q, model.encode(questions, encoder)),
                             (STATIC_BOTH, static.QuestionEncoder(model, encoder).encode(questions))):
                ranks[label][mine] = _first_right(vectors @ q[mine].T, chosen)
        group = run["name"] if run["name"].startswith("xquad") else "news"
        for label, found in ranks.items():
            pooled.setdefault(group, {}).setdefault(label, []).extend(found.tolist())
    print("plain dense retrieval (cosine over every sentence of the set's sources): hit@1 hit@3 recall@10")
    for group, by_label in pooled.items():
        for label, found in by_label.items():
            found = np.array(found)
            print(f"  {group:9} {label:28} n={len(found):3d}  "
                  + "  ".join(f"{np.mean(found <= k):.3f}" for k in (1, 3, 10)))
    return 0


def _first_right(similarities: np.ndarray, golds: list[set[int]]) -> np.ndarray:
    """The rank (from 1) of the first right sentence for each question (a column of similarities)."""
    order = np.argsort(-similarities, axis=0, kind="stable")
    return np.array([next(r + 1 for r, i in enumerate(order[:, n]) if i in g) for n, g in enumerate(golds)],
                    dtype=np.int64)


# -- end to end

METRICS = ("hit@1", "hit@3", "recall@10", "answer", "abstain", "false_abstain", "ece", "coverage_at_80")


def answers(args) -> int:
    from qa import create_app
    from qa.pipeline.engine import Engine
    from qa.semantic.encoders import SentenceEncoder

    run_eval = _run_eval()
    encoder = SentenceEncoder()
    texts = Texts(encoder)
    models = Models(texts)
    bases: dict[Path, Engine] = {}
    pooled: dict[str, dict[str, list[tuple[dict, dict]]]] = {}  # group -> way -> [(scores, counts)]
    for run in runs(texts):
        folder = run["folder"]
        if folder not in bases:
            bases[folder] = Engine.from_folder(folder)  # the encoder's vectors (below the threshold)
        base = bases[folder]
        sentences, files = texts.sentences(folder)
        if [s.text for s in base.sentences] != sentences:
            raise SystemExit(f"{folder}: the engine's sentences are not the bench's")
        ways = {ENCODER: {None: base}, STATIC_ENCODER_Q: {}, STATIC_BOTH: {}}
        for fit_texts, half in run["fits"]:
            model = models.of(run, fit_texts, half)
            static.keep(model)
            made = model.sentence_vectors(sentences)
            for way, vectors in ((STATIC_BOTH, made),  # marked with the model: questions with both vectors
                                 (STATIC_ENCODER_Q, SentenceVectors(made.codes, made.scales))):  # unmarked
                prepared = dataclasses.replace(base.origin.prepared, vectors=vectors)
                ways[way][half] = Engine(list(base.documents.values()), base.skipped, prepared=prepared)
        route = {}
        for n, q in enumerate(run["questions"]):
            half = half_of(q, sentences, files, n) if len(run["fits"]) > 1 else None
            route.update({turn: half for turn in [q["question"], *q.get("history", [])]})
        group = run["name"] if run["name"].startswith("xquad") else "news"
        for way, engines in ways.items():
            clients = {half: create_app({"TESTING": True, "QA_ENGINE": e}).test_client()
                       for half, e in engines.items()}

            def ask(question, history, clients=clients, route=route):
                client = clients[route.get(question) if len(clients) > 1 else next(iter(clients))]
                return client.post("/api/ask", json={"question": question, "history": history}).get_json()

            scores = run_eval.evaluate(ask, run["questions"])
            pooled.setdefault(group, {}).setdefault(way, []).append((scores, _denominators(run["questions"])))
            if args.verbose:
                print(f"{run['name']:9} {way:28} " + json.dumps({k: scores[k] for k in METRICS}), flush=True)
    print("end to end (the service's ranking; shared scorer):", "  ".join(METRICS))
    for group, by_way in pooled.items():
        for way, rows in by_way.items():
            print(f"  {group:9} {way:28} n={sum(c['questions'] for _, c in rows):3d}  "
                  + "  ".join(_pooled(rows, metric) for metric in METRICS))
    return 0


def _denominators(questions: list[dict]) -> dict:
    """How many questions each of run_eval's ratios is over."""
    answerable = [q for q in questions if q.get("answerable", True)]
    return {"questions": len(questions), "hit@1": sum(bool(q.get("support")) for q in answerable),
            "answer": sum(bool(q.get("answers")) for q in answerable),
            "abstain": len(questions) - len(answerable), "false_abstain": len(answerable)}


def _pooled(rows: list[tuple[dict, dict]], metric: str) -> str:
    over = {"hit@3": "hit@1", "recall@10": "hit@1", "ece": "questions", "coverage_at_80": "questions"}.get(
        metric, metric)  # (ece: over the answered questions; weighted by all, roughly)
    total = sum(c[over] for s, c in rows if s.get(metric) is not None)
    if not total:
        return "  -  "
    return f"{sum(s[metric] * c[over] for s, c in rows if s.get(metric) is not None) / total:.3f}"


# -- time

def timing(args) -> int:
    """A generated archive's saved index (without vectors), then its static vectors made as the
    background process makes them (in this process, with the same code), stage by stage."""
    from qa.index import ingest
    from qa.pipeline import engine as engine_module
    from qa.semantic import static_background

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="static-vectors-"))
    archive, index = workdir / f"archive-{args.n}", workdir / f"index-{args.n}.npz"
    if not archive.exists():
        subprocess.run([sys.executable, str(KIT / "gen-news-corpus.py"), str(archive), str(args.n)],
                       check=True)
    if not index.exists():
        started = time.perf_counter()
        # the index is saved without vectors: the background processes are not started here
        engine_module.background.start = engine_module.static_background.start = lambda *a, **k: None
        engine_module.Engine.from_folder(archive, index_path=index, background_vectors=True)
        print(f"index of {args.n:,} sentences built and saved in {time.perf_counter() - started:.1f} s")
    static.model_path(index).unlink(missing_ok=True)  # no words known from an earlier run
    logging.disable(logging.NOTSET)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("qa.semantic").setLevel(logging.INFO)
    print(f"threads of the encoder: {ingest.default_workers()} (QA_INGEST_WORKERS, else the cores)")
    started = time.perf_counter()
    status = static_background.fill(index)
    total = time.perf_counter() - started
    model = static.model_path(index)
    print(f"static vectors of {args.n:,} sentences in place after {total:.1f} s (exit status {status}); "
          f"model file {model.stat().st_size / 2**20:.0f} MiB, index {index.stat().st_size / 2**20:.0f} MiB")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True)
    p = commands.add_parser("dense", help="a plain dense retriever: hit@1, hit@3, recall@10")
    p.add_argument("--ridge", type=float, default=static.RIDGE)
    p.set_defaults(run=dense)
    p = commands.add_parser("answers", help="end to end through the service's ranking")
    p.add_argument("-v", "--verbose", action="store_true", help="a line per question set and way")
    p.set_defaults(run=answers)
    p = commands.add_parser("time", help="the time to make a generated archive's static vectors")
    p.add_argument("n", type=int, help="sentences")
    p.add_argument("--keep", help="folder for the archive and its index (kept for the next run)")
    p.set_defaults(run=timing)
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
