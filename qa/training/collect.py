"""The questions make train fits and scores: every question set of
bench/evaluate.py (the shared dev set, our own sets) and eval/kit/xquad-nl (make kit),
each ranked as the service ranks it, with all features computed, and judged
as the shared scorer judges an answer."""
from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..language.translation import DEFAULT_DICT_DIR
from ..pipeline.corpus import Corpus
from ..pipeline.engine import Engine
from ..pipeline.model import Models, model_file
from ..pipeline.question import Question

ROOT = Path(__file__).resolve().parent.parent.parent
SHARED_EVAL = ROOT / "eval" / "kit"  # the team's evaluation kit, copied there by make kit
XQUAD = SHARED_EVAL / "xquad-nl"
# Our own news sets: eval/<name>.jsonl over the articles in eval/<name>/. The fit sees
# OWN_SETS; ASIDE_SETS are only scored (make evaluate), never fitted or used to choose.
OWN_SETS = ["other", "fresh", *(f"fresh{n}" for n in range(2, 16))]
ASIDE_SETS = ["fresh16", "fresh17"]
# (name, sources, questions)
SETS = [
    ("dev", ROOT / "seeds", SHARED_EVAL / "dev.jsonl"),
    ("extra", ROOT / "seeds", ROOT / "eval" / "extra.jsonl"),
    *((name, ROOT / "eval" / name, ROOT / "eval" / f"{name}.jsonl") for name in OWN_SETS),
    ("xquad-en", XQUAD / "sources", XQUAD / "en.jsonl"),
    ("xquad-followups", XQUAD / "sources", ROOT / "eval" / "xquad-followups.jsonl"),
    ("xquad-nl", XQUAD / "sources", XQUAD / "nl.jsonl"),
]

def norm(text: str) -> str:
    """As the shared scorer (run_eval.py) compares texts."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("\u00a0", " ")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Item:
    """One question with its candidates' features."""

    set: str
    group: str
    id: str
    answerable: bool
    has_support: bool
    corpus: Corpus
    ids: np.ndarray
    X: np.ndarray
    y: np.ndarray  # candidate holds a support string
    question: Question
    follows: bool  # asked after earlier turns
    answers: list[str]  # acceptable short answers (may be none)
    weight: float = 1.0  # of this question in the fits (see balance)


def _xquad_article(question: dict, texts: dict[str, str]) -> str | None:
    support = [norm(s) for s in question.get("support", [])]
    for name, text in texts.items():
        if any(s in text for s in support):
            return re.sub(r"^\d+_|_p\d+\.txt$", "", name)
    return None


def collect(semantic: bool, dictionaries: bool = True, log=print) -> list[Item]:
    """Rank every question of every set with all features computed, as the
    shared scorer asks it (earlier turns first, their answers passed back)."""
    engines: dict[Path, Engine] = {}
    items: list[Item] = []
    try:  # the earlier turns of a conversation are answered by the current models
        models = Models.load(model_file(semantic, dictionaries))
    except (OSError, ValueError) as exc:
        log(f"{exc}: earlier turns are answered by unfitted models")
        models = Models.neutral()
    for name, sources, path in SETS:
        if not path.exists():
            log(f"{path}: not there, skipped")
            continue
        if sources not in engines:
            engines[sources] = Engine.from_folder(
                sources, DEFAULT_DICT_DIR if dictionaries else None, semantic=semantic, models=models
            )
        engine = engines[sources]
        if dictionaries and engine.translator is None:
            raise SystemExit(
                f"the FreeDict dictionaries are not in {DEFAULT_DICT_DIR}: make train fits models "
                "with and without them (scripts/install-system-packages.sh installs them)"
            )
        texts = {p.name: norm(p.read_text(encoding="utf-8")) for p in sources.glob("*.txt")}
        article = None
        started = time.perf_counter()
        questions = [
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        for q in questions:
            history: list[dict] = []
            for turn in q.get("history", []):
                earlier = engine.ask(turn, history)
                history += [
                    {"role": "user", "content": turn},
                    {"role": "assistant", "content": earlier.answer or ""},
                ]
            ranking = engine.rank(q["question"], history, full=True)
            support = [norm(s) for s in q.get("support", [])]
            y = np.array(
                [any(s in norm(engine.sentences[int(i)].text) for s in support) for i in ranking.ids]
            )
            if name.startswith("xquad"):
                # An unanswerable XQuAD question comes right after its article's answerable ones.
                article = q.get("article") or _xquad_article(q, texts) or article
                group = f"xquad:{article}"
            else:
                group = "seeds" if sources == ROOT / "seeds" else name
            items.append(
                Item(
                    name,
                    group,
                    q["id"],
                    q.get("answerable", True),
                    bool(support),
                    engine.corpus,
                    ranking.ids,
                    ranking.X,
                    y,
                    ranking.question,
                    bool(history),
                    q.get("answers", []),
                )
            )
        log(f"{name}: {len(questions)} questions ranked in {time.perf_counter() - started:.1f} s")
    balance(items)
    return items


def balance(items: list[Item]) -> None:
    """XQuAD-nl (encyclopaedic text, two languages of the same questions) and
    the news sets weigh the same in total: the service is for news, and the
    sets it is judged on are both."""
    xquad = sum(it.group.startswith("xquad:") for it in items)
    news = len(items) - xquad
    for it in items:
        it.weight = news / xquad if it.group.startswith("xquad:") and xquad and news else 1.0


def right_answer(answer: str, acceptable: list[str]) -> bool:
    """As the shared scorer judges a short answer: it holds an acceptable one, in at most 12 words."""
    a = norm(_strip_accents(answer))
    return bool(a) and len(a.split()) <= 12 and any(norm(_strip_accents(x)) in a for x in acceptable)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
