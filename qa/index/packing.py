"""Lists of strings as numpy arrays, for the saved index (bm25.py, snapshot.py):
loaded with allow_pickle=False; and arrays saved atomically."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def pack_strings(strings: Sequence[str]) -> dict[str, np.ndarray]:
    """Strings as one UTF-8 byte array and the character offsets where each
    ends: numpy's own string arrays take four bytes a character at the
    longest string's width. Unpacking decodes the whole array once and cuts
    it by characters (a decode per string took twice as long for 262 MB of
    documents)."""
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum([len(x) for x in strings], out=offsets[1:])
    return {"bytes": np.frombuffer("".join(strings).encode("utf-8"), dtype=np.uint8), "offsets": offsets}


def unpack_strings(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    text = str(memoryview(np.ascontiguousarray(blob)), "utf-8")
    if len(offsets) and offsets[-1] != len(text):
        raise ValueError("packed strings: the offsets do not fit the text")
    bounds = offsets.tolist()
    return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """`arrays` saved as one .npz at `path`, atomically: written beside it, then renamed into place
    (a reader sees the old file or the new one, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
