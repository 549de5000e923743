"""Which language a text is in: py3langid's naive Bayes model, limited to the
two languages the service reads.

py3langid ships its model LZMA-compressed: reading it takes 0.4 s, at every
start, beside the saved index's loading. Given a cache folder (the one beside
the saved index), the model limited to English and Dutch is kept there
uncompressed (about 40 MB) and read back in milliseconds. The cached copy is
tied to py3langid's version and model file; one that cannot be read is made
again from the package's."""
from __future__ import annotations

import importlib.metadata
import logging
import threading
from array import array
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from ..index.packing import save_arrays

log = logging.getLogger(__name__)

LANGUAGES = ("en", "nl")

_identifier: LanguageIdentifier | None = None
_lock = threading.Lock()


def language_identifier(cache_dir: str | Path | None = None) -> LanguageIdentifier:
    """This process's identifier (made once): from `cache_dir`'s copy of the
    model when it holds one, else from py3langid's file (then copied there)."""
    global _identifier
    with _lock:
        if _identifier is None:
            _identifier = load_identifier(Path(cache_dir) if cache_dir is not None else None)
        return _identifier


def detect_language(text: str) -> str:
    """'en' or 'nl'."""
    return language_identifier().classify(text)[0]


def from_package() -> LanguageIdentifier:
    """The identifier read from py3langid's own (compressed) model file."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def cache_path(cache_dir: Path) -> Path:
    """The cached copy's file, named after what it is made from."""
    model = MODEL_DIR / MODEL_FILE
    stat = model.stat()
    key = f"{importlib.metadata.version('py3langid')}-{stat.st_size}-{stat.st_mtime_ns}-{'-'.join(LANGUAGES)}"
    return cache_dir / f"py3langid-{key}.npz"


def load_identifier(cache_dir: Path | None) -> LanguageIdentifier:
    """An identifier made anew: from `cache_dir`'s copy, else from py3langid's file (then copied)."""
    if cache_dir is None:
        return from_package()
    path = cache_path(cache_dir)
    try:
        return read_cached(path)
    except FileNotFoundError:
        pass
    except Exception as exc:  # (a damaged copy, or a py3langid whose identifier is laid out otherwise)
        log.warning("language model copy %s not used (%s): read from py3langid", path, exc)
    identifier = from_package()
    write_cached(identifier, path)
    return identifier


def read_cached(path: Path) -> LanguageIdentifier:
    with np.load(path, allow_pickle=False) as data:
        nextmove, row = array(str(data["nextmove_code"])), array(str(data["row_code"]))
        nextmove.frombytes(data["nextmove"].tobytes())
        row.frombytes(data["row"].tobytes())
        return LanguageIdentifier(data["ptc"], data["pc"], data["classes"].tolist(), nextmove,
                                  data["output"].tolist(), tk_row=row)


def write_cached(identifier: LanguageIdentifier, path: Path) -> None:
    """The identifier's tables written to `path`, atomically; a folder that cannot be written is
    logged and left (the next start reads py3langid's file again)."""
    try:
        arrays = {"ptc": np.asarray(identifier.nb_ptc), "pc": np.asarray(identifier.nb_pc),
                  "classes": np.array(identifier.nb_classes),
                  "nextmove": np.frombuffer(identifier.tk_nextmove, dtype=np.uint8),
                  "nextmove_code": np.array(identifier.tk_nextmove.typecode),
                  "row": np.frombuffer(identifier.tk_row, dtype=np.uint8),
                  "row_code": np.array(identifier.tk_row.typecode),
                  "output": np.asarray(identifier.tk_output, dtype=np.int64)}
        save_arrays(path, arrays)
    except (OSError, AttributeError, TypeError, ValueError) as exc:
        log.info("language model not cached in %s: %s", path.parent, exc)
