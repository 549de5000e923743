"""Articles the tests add through the API and the terminal, in the shapes a user sends them, and
small folders of sources to answer from."""
from pathlib import Path

from fpdf import FPDF

MELIANI = {
    "title": "Meliani nieuwe wethouder Wonen",
    "date": "2021-08-25",
    "publisher": "AT5",
    "text": "De gemeenteraad heeft Touria Meliani gekozen als nieuwe wethouder Wonen.\n\n"
    "Zij krijgt de portefeuille van Laurens Ivens, die in juli aftrad.",
}
# Two outlets giving different amounts for the same bridge, and an unrelated article (so that
# BM25's idf is positive). (Written "brug over de Waal", the finder reads "over ... 14 miljoen"
# as "more than 14 million", which meets 16 million: no disagreement; hence "Waalbrug".)
# Two outlets that date one event differently: the timeline's disputed date.
PILE = {
    "a": " date 2023-03-16\nZwembad duurder\n\nIn oktober 2021 werd de eerste paal de grond in geslagen.\n",
    "b": " date 2024-09-09\nZwembad open\n\nDe bouw begon op 12 november 2021 met het slaan van de "
         "eerste paal.\n",
}
BRIDGE = {
    "a": " date 2023-05-02\nNieuwe brug kost meer\n\n"
         "De nieuwe Waalbrug kost 14 miljoen euro, meldt de gemeente.\n",
    "b": " date 2023-05-03\nBrug duurder dan gedacht\n\n"
         "De nieuwe Waalbrug kost 16 miljoen euro, zegt de provincie.\n",
    "c": " date 2023-04-20\nNieuw zwembad in Zwolle open\n\n"
         "Het nieuwe zwembad in Zwolle is zaterdag geopend. "
         "Honderden bezoekers kwamen een kijkje nemen. "
         "De wethouder sprak van een feestelijke dag voor de stad.\n",
}
PAGE = """<!doctype html><html><head><title>Berlagebrug dicht | Stadsnieuws</title>
<meta property="article:published_time" content="2021-03-01T08:00:00+01:00">
<script>document.cookie = "tracked=1";</script></head><body>
<nav><a href="/">Home</a> <a href="/verkeer">Verkeer</a></nav>
<div id="cookies">Wij gebruiken cookies om de site te verbeteren. Accepteer alle cookies.</div>
<article><h1>Berlagebrug dicht</h1>
<p>De Berlagebrug gaat vanaf 3 maart voor twee weken dicht voor groot onderhoud aan het beweegbare deel.</p>
<script>alert("x")</script>
<p>Het verkeer wordt omgeleid via de Nieuwe Amstelbrug, meldt de gemeente.</p></article>
<footer>Copyright 2021 Stadsnieuws. Alle rechten voorbehouden.</footer></body></html>"""


def pdf_bytes(title: str, text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.set_title(title)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def write_articles(folder: Path, articles: dict[str, str]) -> Path:
    """`articles` ({id: text}) as the .txt files of `folder`, which it returns."""
    for name, text in articles.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder
