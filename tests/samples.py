"""Articles the tests add through the API and the terminal, in the shapes a user sends them."""
from fpdf import FPDF

MELIANI = {
    "title": "Meliani nieuwe wethouder Wonen",
    "date": "2021-08-25",
    "publisher": "AT5",
    "text": "De gemeenteraad heeft Touria Meliani gekozen als nieuwe wethouder Wonen.\n\n"
    "Zij krijgt de portefeuille van Laurens Ivens, die in juli aftrad.",
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
