"""The sentence splitter against pysbd (the one used before): the same sentences
or not, paragraph by paragraph, and sentences per second.

    .venv/bin/pip install pysbd==0.3.4 && .venv/bin/python bench/splitters.py

Paragraphs: every content line longer than 80 characters of the seeds, our
news sets (eval/*/) and the XQuAD-nl sources. Prints the paragraphs split
differently, their sentence ends side by side.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.language.sentences import split_sentences  # noqa: E402
from qa.sources.documents import load_sources  # noqa: E402


def paragraphs() -> list[str]:
    folders = [ROOT / "seeds", *sorted(p for p in (ROOT / "eval").iterdir() if p.is_dir()),
               ROOT.parent / "shared" / "eval" / "xquad-nl" / "sources"]
    found = []
    for folder in folders:
        if folder.is_dir():
            documents, _ = load_sources(folder)
            found += [d.text[a:b] for d in documents for a, b in d.content]
    return [p for p in found if len(p) > 80]


def main() -> None:
    try:
        import pysbd
    except ImportError:
        sys.exit("pysbd is not installed: .venv/bin/pip install pysbd==0.3.4")
    segmenter = pysbd.Segmenter(language="nl", clean=False)
    texts = paragraphs()
    same = 0
    for text in texts:
        theirs = [s.strip() for s in segmenter.segment(text) if s.strip()]
        ours = [text[a:b] for a, b in split_sentences(text)]
        if theirs == ours:
            same += 1
        else:
            print("pysbd:", [s[-25:] for s in theirs], "\nours: ", [s[-25:] for s in ours], "\n")
    print(f"the same sentences in {same} of {len(texts)} paragraphs")
    for name, split in (("ours (sentencex + rules)", split_sentences), ("pysbd", segmenter.segment)):
        started = time.perf_counter()
        count = sum(len(split(text)) for text in texts * 5)
        print(f"{name}: {count / (time.perf_counter() - started):,.0f} sentences/s")


if __name__ == "__main__":
    main()
