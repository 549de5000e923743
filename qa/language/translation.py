"""English -> Dutch query translation with the FreeDict dictionaries.

Both FreeDict dictionaries (English-Dutch and Dutch-English, Debian packages
dict-freedict-eng-nld and dict-freedict-nld-eng) are read from their dictd
files; the Dutch-English one is inverted, which roughly triples the English
words covered. English words are looked up by their lemma, so "reports"
finds "report" and "wrote" finds "write"; not by their stem, which would
join words of other kinds ("national" -> nation, "powerful" -> power). All
translations of one word become one synonym set in the BM25 query (Pirkola's
structured query), so a word with many translations does not outweigh a
word with one. Phrases ("for the time being", "trade union", "take over")
are also looked up as one unit (question.py makes a phrase and its words one
synonym set): the Dutch-English dictionary writes its English phrases without
spaces ("forthetimebeing" for voorlopig), so a run of question words is glued
together and looked up. Country and language names come from CLDR (Babel).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
from collections import defaultdict
from pathlib import Path

from babel import Locale
from babel import __version__ as babel_version
from simplemma import __version__ as simplemma_version

from .analysis import Analyzer, normalize, stopwords

log = logging.getLogger(__name__)

DEFAULT_DICT_DIR = "/usr/share/dictd"
ENG_NLD = "freedict-eng-nld"
NLD_ENG = "freedict-nld-eng"
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_SENSE_NUMBER = re.compile(r"^\s*\d+\.\s*")
_PHONETICS = re.compile(r"/[^/]*/")
# Hyphens inside a word ("after‐care"): the joined form is how the word is also written.
_INNER_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u2011](?=\w)")
# At most this many translations per word: a very long synonym set dilutes
# the word's weight. The inverted Dutch-English side adds its words in
# alphabetical order, so a tight cap drops senses at random: 12 dropped
# "vuur" from the 19 for "fire". 20 and 40 measured the same on the four
# question sets, and better than 12 (extra hit@3 0.806 -> 0.839).
MAX_TRANSLATIONS = 20
# Bump when the way the table is built changes (the cache of it is then rebuilt).
CACHE_FORMAT = "translations/1"
# Noun suffixes and the endings of the verbs they are made from, tried in
# order for a word the dictionaries lack.
_DERIVATIONS = [
    ("ment", ("",)), ("lation", ("", "l", "late")), ("ation", ("ate", "e", "")), ("ion", ("e", "")),
    ("ure", ("e", "")), ("al", ("e", "")), ("ance", ("", "e")), ("ence", ("", "e")), ("ness", ("",)),
]
# Longest run of question words looked up as one phrase.
MAX_PHRASE_WORDS = 4
# British spellings and their American forms, tried when a word is not found.
_BRITISH = [(re.compile(p), r) for p, r in [
    (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"), (r"ys(e|es|ed|ing)$", r"yz\1"),
    (r"our(s|ed|ing|ite)?$", r"or\1"), (r"tre(s)?$", r"ter\1"), (r"ence$", "ense"), (r"ogue(s)?$", r"og\1"),
    (r"ll(ed|ing|er)$", r"l\1")]]


def _b64(value: str) -> int:
    n = 0
    for c in value:
        n = n * 64 + _B64[c]
    return n


def read_dictd(folder: Path, name: str) -> dict[str, list[str]]:
    """headword -> list of translations, from a dictd .index and .dict.dz pair."""
    with gzip.open(folder / f"{name}.dict.dz") as compressed:
        data = compressed.read()
    entries: dict[str, list[str]] = {}
    with open(folder / f"{name}.index", encoding="utf-8") as index:
        for line in index:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0].startswith("00database"):
                continue
            headword, offset, length = parts[0], _b64(parts[1]), _b64(parts[2])
            body = data[offset:offset + length].decode("utf-8", "replace").split("\n")[1:]
            translations = []
            for sense in body:
                sense = _PHONETICS.sub("", _SENSE_NUMBER.sub("", sense))
                translations += [t.strip() for t in sense.split(",") if t.strip()]
            if translations:
                entries.setdefault(headword, []).extend(translations)
    return entries


def place_and_language_names() -> list[tuple[str, str]]:
    """(English, Dutch) names of countries and languages, from the CLDR data
    Babel ships: Netherlands/Nederland, Germany/Duitsland, Dutch/Nederlands."""
    english, dutch = Locale("en"), Locale("nl")
    pairs = []
    for table in ("territories", "languages"):
        names = getattr(dutch, table)
        pairs += [(name, names[code]) for code, name in getattr(english, table).items() if code in names]
    return pairs


def _cache_key(folder: Path) -> str:
    """What the table depends on: the dictionary files, the libraries that
    lemmatise and stem, the code's own settings."""
    parts = [CACHE_FORMAT, str(MAX_TRANSLATIONS), simplemma_version, babel_version]
    for name in (ENG_NLD, NLD_ENG):
        for suffix in (".index", ".dict.dz"):
            stat = (folder / (name + suffix)).stat()  # OSError when not installed
            parts.append(f"{name}{suffix}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _read_cache(cache_dir: Path, key: str) -> dict[str, tuple[str, ...]] | None:
    path = cache_dir / f"translations-{key[:16]}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return {k: tuple(v) for k, v in data["table"].items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return None


def _write_cache(cache_dir: Path, key: str, table: dict[str, tuple[str, ...]]) -> None:
    """Best effort, atomically: a cache that cannot be written is rebuilt next time."""
    tmp = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"key": key, "table": table}, f, ensure_ascii=False)
        os.replace(tmp, cache_dir / f"translations-{key[:16]}.json")
    except OSError as exc:
        log.info("translation table not cached in %s: %s", cache_dir, exc)
        if tmp:
            Path(tmp).unlink(missing_ok=True)


class Translator:
    """English word -> set of Dutch index terms."""

    def __init__(self, table: dict[str, tuple[str, ...]]):
        self.table = table
        self.english_term = Analyzer("en").lemma

    @classmethod
    def from_freedict(cls, folder: str | Path, analyzer: Analyzer,
                      cache_dir: str | Path | None = None) -> Translator | None:
        """Load the dictionaries; None (and one log line) when they are not
        installed. With `cache_dir`, the table is kept there and read back while
        the dictionary files and the libraries that shaped it stay the same:
        building it lemmatises 70,000 entries (about 2 s of every start)."""
        folder = Path(folder)
        try:
            key = _cache_key(folder)
            eng_nld = nld_eng = None
            if cache_dir is None or (cached := _read_cache(Path(cache_dir), key)) is None:
                eng_nld = read_dictd(folder, ENG_NLD)
                nld_eng = read_dictd(folder, NLD_ENG)
        except OSError as exc:
            log.warning("English questions disabled: FreeDict dictionaries not found in %s (%s); "
                        "install dict-freedict-eng-nld and dict-freedict-nld-eng", folder, exc.strerror)
            return None
        if eng_nld is None:
            return cls(cached)
        translator = cls._build(eng_nld, nld_eng, analyzer)
        if cache_dir is not None:
            _write_cache(Path(cache_dir), key, translator.table)
        return translator

    @classmethod
    def _build(cls, eng_nld: dict[str, list[str]], nld_eng: dict[str, list[str]],
               analyzer: Analyzer) -> Translator:
        english_term = Analyzer("en").lemma
        table: dict[str, list[str]] = defaultdict(list)

        def add(english: str, dutch: str) -> None:
            # One Dutch word only: a Dutch phrase has no single index term.
            # An English phrase is keyed glued, as the other dictionary writes it.
            english = _INNER_HYPHEN.sub("", english)
            words = [w for w in normalize(dutch).split() if w not in stopwords("nl")]
            if len(words) != 1 or not words[0].isalpha():
                return
            key = english_term("".join(normalize(english).split()))
            for term in analyzer.query_forms(words[0]):
                if term not in table[key]:
                    table[key].append(term)

        # Country and language names first: FreeDict has few ("Netherlands",
        # "Germany" are missing), CLDR has them all in both languages.
        for english, dutch in place_and_language_names():
            add(english, dutch)
        for english, translations in eng_nld.items():
            for dutch in translations:
                add(english, dutch)
        for dutch, translations in nld_eng.items():
            for english in translations:
                add(english, dutch)
        log.info("FreeDict loaded: %d English words with Dutch translations", len(table))
        return cls({k: tuple(v[:MAX_TRANSLATIONS]) for k, v in table.items()})

    def phrases(self, tokens: list[str], is_content) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, Dutch terms) for each run of 2 to MAX_PHRASE_WORDS
        tokens that the dictionaries translate as one phrase, longest first,
        left to right, not overlapping. A run must hold a content word
        (`is_content`): "in to" is no phrase worth looking up."""
        found, i = [], 0
        while i < len(tokens):
            for n in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 1, -1):
                run = tokens[i:i + n]
                if not any(map(is_content, run)):
                    continue
                # "taken over" is "take over": the words by their lemmas too.
                for glued in ("".join(run), "".join(map(self.english_term, run))):
                    translations = self.table.get(self.english_term(glued), ())
                    if translations:
                        break
                if translations:
                    found.append((i, i + n, translations))
                    i += n
                    break
            else:
                i += 1
        return found

    def translate(self, word: str) -> tuple[str, ...]:
        """Dutch index terms for an English word (normalised token); () if
        unknown. A British spelling the dictionaries lack is tried in its
        American form ("apologise" -> "apologize", "behaviour" -> "behavior")."""
        found = self.table.get(self.english_term(word), ())
        if found:
            return found
        for british, american in _BRITISH:
            variant = british.sub(american, word)
            if variant != word and self.english_term(variant) in self.table:
                return self.table[self.english_term(variant)]
        # A noun the dictionaries lack, by the verb it is made from:
        # "postponement" -> postpone, "cancellation" -> cancel, "closure" -> close.
        for suffix, replacements in _DERIVATIONS:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                for ending in replacements:
                    base = word[:-len(suffix)] + ending
                    if self.english_term(base) in self.table:
                        return self.table[self.english_term(base)]
        return ()
