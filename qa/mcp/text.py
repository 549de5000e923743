"""The tools' results as text for reading (an assistant shows or quotes it; a client without
structured content has only this): the answer or that the sources do not say, then each
citation numbered, with its outlet, date, source id and character range."""
from __future__ import annotations

from ..cli.timeline import render as render_events
from ..web.completions import NOT_IN_SOURCES
from . import results


def where(c: results.Citation | results.DatedSentence) -> str:
    """'Het Parool · De Amsterdamse ... (2021-07) · 000_6e4b85fed620331c [1886:2004]'."""
    outlet = f"{c.outlet} · " if c.outlet else ""
    return f"{outlet}{c.title or c.source} ({c.date or 'undated'}) · {c.source} [{c.start}:{c.end}]"


def citations(cited: list[results.Citation]) -> list[str]:
    lines = []
    for n, c in enumerate(cited, 1):
        lines.append(f"[{n}] {c.text}")
        lines.append(f"    {where(c)}")
    return lines


def answer(a: results.Answer) -> str:
    if not a.sources_say:
        lines = [NOT_IN_SOURCES]
        if a.citations:
            lines += ["Closest sentences (they do not answer it):", *citations(a.citations)]
        return "\n".join(lines)
    lines = [f"{a.answer} (confidence {a.confidence:.2f})"]
    if a.disagreement is not None:
        parts = [f"{v.value} {''.join(f'[{n + 1}]' for n in v.citations)}" for v in a.disagreement.values]
        lines.append("Sources differ: " + "; ".join(parts))
    return "\n".join([*lines, *citations(a.citations)])


def search(s: results.Search) -> str:
    if not s.sentences:
        return "No sentence matches."
    return "\n".join(citations(s.sentences))


def source_text(s: results.SourceText) -> str:
    outlet = f"{s.outlet} · " if s.outlet else ""
    span = "" if (s.start, s.end) == (0, s.length) else f" [{s.start}:{s.end}] of {s.length} characters"
    return f"{outlet}{s.title} ({s.date or 'undated'}) · {s.id}{span}\n\n{s.text}"


def sources(listed: results.Sources) -> str:
    if not listed.sources:
        return "No sources."
    return "\n".join(f"{s.id}: {s.title} ({s.outlet + ', ' if s.outlet else ''}{s.date or 'undated'}; "
                     f"{s.sentences} sentences)" for s in listed.sources)


def timeline(found: dict) -> str:
    """The /api/timeline response, as `python -m qa timeline` prints it."""
    return render_events(found["events"])
