"""qa.sources.extract: the text of an article handed in as plain text, HTML or PDF."""
import pytest
from fpdf import FPDF

from qa.sources.extract import ExtractionError, extract, paragraphs


def test_plain_text_keeps_its_paragraphs_one_blank_line_apart():
    assert extract(b"Kop\r\n\r\n\r\nEerste alinea.\nNog een regel.\n\n  \nTweede.", "text/plain").text == \
        "Kop\n\nEerste alinea.\nNog een regel.\n\nTweede."


def test_html_gives_the_article_its_title_and_date_and_drops_the_rest():
    page = ("<html><head><title>Brug dicht | Krant</title><meta name='date' content='2021-03-01'>"
            "<script>var tracker = 1;</script></head><body><nav>Home Nieuws</nav>"
            "<article><h1>Brug dicht</h1>"
            "<p>De Berlagebrug gaat op 3 maart dicht voor onderhoud aan de brug.</p>"
            "<p>Het verkeer rijdt om via de Amstel.</p></article><footer>Alle rechten voorbehouden</footer>"
            "</body></html>")
    got = extract(page.encode(), "text/html")
    assert got.title == "Brug dicht" and got.date == "2021-03-01"
    assert got.text == ("De Berlagebrug gaat op 3 maart dicht voor onderhoud aan de brug.\n\n"
                        "Het verkeer rijdt om via de Amstel.")


def test_a_pdf_gives_its_text_and_title():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.set_title("Sneeuw")
    pdf.multi_cell(0, 8, "Er viel twintig centimeter sneeuw.")
    got = extract(bytes(pdf.output()), "application/pdf")
    assert got.text == "Er viel twintig centimeter sneeuw." and got.title == "Sneeuw"


@pytest.mark.parametrize("body, kind, why", [
    (b"caf\xe9", "text/plain", "not valid UTF-8"),
    (b"a\x00b", "text/plain", "NUL"),
    (b"<html><head><script>x()</script></head><body></body></html>", "text/html", "no article text"),
    (b"GIF89a", "application/pdf", "not a PDF"),
    (b"%PDF-1.4\n%broken", "application/pdf", "cannot be read"),
])
def test_what_holds_no_readable_text_is_refused_with_the_reason(body, kind, why):
    with pytest.raises(ExtractionError, match=why):
        extract(body, kind)


def test_an_unknown_kind_is_a_value_error_listing_the_kinds():
    with pytest.raises(ValueError, match="text/plain, text/html, application/pdf"):
        extract(b"x", "image/png")


def test_paragraphs_drops_empty_ones():
    assert paragraphs("\n\n a \n\n\n\n b \n") == "a\n\nb"


def test_a_pdf_without_a_text_layer_is_refused():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_draw_color(0, 0, 0)
    pdf.rect(10, 10, 50, 50)  # a drawing, as a scanned page is an image: no text to extract
    with pytest.raises(ExtractionError, match="holds no text"):
        extract(bytes(pdf.output()), "application/pdf")
