"""The timeline in the terminal (python -m qa timeline): one event a block, its date as a reader
says it, then each sentence with its outlet, date and place in the source."""
from __future__ import annotations

import datetime as dt

from ..language.lexicon import MONTHS


def readable(date: str, precision: str) -> str:
    """'2019', 'February 2021', '5 July 2021', 'early 2021'."""
    if precision == "season":
        year, season = date.split("-")
        return f"{season} {year}"
    if precision == "month":
        year, month = date.split("-")
        return f"{MONTHS['en'][int(month) - 1]} {year}"
    if precision == "day":
        day = dt.date.fromisoformat(date)
        return f"{day.day} {MONTHS['en'][day.month - 1]} {day.year}"
    return date


def render(events: list[dict]) -> str:
    if not events:
        return "No dated events in these sources."
    lines = []
    for event in events:
        lines.append(readable(event["date"], event["precision"]))
        outlets = {s["source"]: s["publisher"] or s["title"] or s["source"] for s in event["sentences"]}
        for other in event.get("disputed", []):
            lines.append(f"  (sources differ: {readable(other['date'], other['precision'])} "
                         f"according to {', '.join(outlets.get(d, d) for d in other['sources'])})")
        for s in event["sentences"]:
            outlet = s["publisher"] or s["title"] or s["source"]
            lines.append(f"  - {s['text']}")
            lines.append(f"    {outlet} ({s['date'] or 'undated'}) · {s['source']} [{s['start']}:{s['end']}]")
    return "\n".join(lines)
