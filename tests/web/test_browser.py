"""The chat page in a real browser: Debian's headless Chromium, driven by
playwright (the Python package, pointed at /usr/bin/chromium; it downloads no
browser). A screenshot of each step goes to artifacts/browser/."""
import base64
import re
import shutil
from pathlib import Path

import pytest
from conftest import serve

from qa import create_app
from qa.pipeline.engine import Engine

from samples import BRIDGE, PILE, write_articles

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "browser"
# A source whose text is markup and script: it must show as text and run nothing.
EVIL = ("Bericht van de wethouder\n\nIn het bericht aan de raad stond letterlijk "
        "<script>window.pwned = 1</script> en <img src=x onerror=\"window.pwned = 2\"> "
        "en ook javascript:window.pwned=3 als tekst.\n")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                "(`make test` installs it as root: apt-get install chromium)")


@pytest.fixture(scope="module")
def engine_with_evil(tmp_path_factory):
    sources = tmp_path_factory.mktemp("sources")
    for seed in (ROOT / "seeds").glob("*.txt"):
        shutil.copy(seed, sources)
    (sources / "evil.txt").write_text(EVIL, encoding="utf-8")
    return Engine.from_folder(sources)


@pytest.fixture(scope="module")
def base_url(engine_with_evil):
    server = serve(create_app({"TESTING": True, "QA_ENGINE": engine_with_evil}))
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def keyed_url(engine_with_evil):
    """The same page served with QA_API_KEY set."""
    server = serve(create_app({"TESTING": True, "QA_ENGINE": engine_with_evil, "QA_API_KEY": "k3y"}))
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def served_articles(sources, articles):
    """The URL of a server over `articles` written into `sources`, until the fixture ends."""
    write_articles(sources, articles)
    server = serve(create_app({"TESTING": True, "QA_ENGINE": Engine.from_folder(sources)}))
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def bridge_url(tmp_path_factory):
    """A server over the two bridge articles that disagree and the unrelated one."""
    yield from served_articles(tmp_path_factory.mktemp("bridge"), BRIDGE)


@pytest.fixture(scope="module")
def pile_url(tmp_path_factory):
    """A server over two outlets that date the first pile differently."""
    yield from served_articles(tmp_path_factory.mktemp("pile"), PILE)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url):
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + "/")
    yield page
    page.close()
    assert not errors, errors


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page, question):
    answers = page.locator("#transcript .turn.assistant")
    before = answers.count()
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask").click()
    answers.nth(before).wait_for()  # (a locator wait: the page's CSP forbids evaluating strings)
    return answers.nth(before)


def test_ask_see_the_answer_and_numbered_citations_then_open_one(page):
    turn = ask(page, "when did the formal reports come in")
    assert turn.locator(".answer").inner_text() in ("early 2021", "February 2021")
    # the confidence in words and as the share of such answers that were right
    said = turn.locator(".confidence").inner_text()
    assert re.fullmatch(r"(very likely right|likely right|unsure) "
                        r"\(\d+ % of answers given this confidence were right\)", said)
    citations = turn.locator("ol > li .citation")
    assert citations.count() >= 1
    shot(page, "1-answer")
    quote = citations.first.locator(".quote").inner_text()
    citations.first.click()
    page.wait_for_selector("#source-view:not([hidden]) mark")
    assert page.locator("#source-text mark").inner_text() == quote
    shot(page, "2-source-highlighted")


def test_follow_up_sends_the_history(page):
    ask(page, "What happened in February 2021?")
    with page.expect_request("**/api/ask") as request:
        turn = ask(page, "And the month after that?")
    sent = request.value.post_data_json
    earlier = [t["content"] for t in sent["history"] if t["role"] == "user"]
    assert earlier == ["What happened in February 2021?"]
    assert "Maart 2021" in turn.locator(".citation .quote").first.inner_text()
    shot(page, "3-follow-up")


def test_unanswerable_question_says_the_sources_do_not_say(page):
    turn = ask(page, "What is the capital of France?")
    assert turn.locator(".abstain").inner_text() == "The sources do not say."
    assert turn.locator(".answer").count() == 0
    shot(page, "4-abstain")


def test_markup_in_a_source_is_shown_as_text_and_runs_nothing(page):
    turn = ask(page, "Wat stond er letterlijk in het bericht aan de raad?")
    quotes = turn.locator(".citation .quote")
    evil = next(i for i in range(quotes.count()) if "<script>" in quotes.nth(i).inner_text())
    assert "<img src=x onerror=" in quotes.nth(evil).inner_text()
    turn.locator(".citation").nth(evil).click()
    page.wait_for_selector("#source-view:not([hidden]) mark")
    assert "javascript:window.pwned=3" in page.locator("#source-text").inner_text()
    assert page.evaluate("window.pwned") is None
    assert page.locator("main img, #source-view img, #transcript script").count() == 0
    shot(page, "5-markup-as-text")


def test_the_page_works_375_px_wide(browser, base_url):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(base_url + "/")
    turn = ask(page, "Wanneer trad Ivens af?")
    assert "juli" in turn.locator(".answer").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    assert page.get_by_label("Your question").is_visible()
    shot(page, "6-narrow")
    page.close()


def test_a_citation_link_of_the_openai_api_opens_the_sentence_marked(page, base_url):
    question = {"role": "user", "content": "when did the formal reports come in"}
    completion = page.request.post(base_url + "/v1/chat/completions",
                                   data={"model": "qa", "messages": [question]}).json()
    citation = completion["choices"][0]["message"]["annotations"][0]["url_citation"]
    cited = completion["qa"]["passages"][0]
    page.goto(citation["url"])
    page.wait_for_selector("#source-view:not([hidden]) mark")
    assert page.locator("#source-text mark").inner_text() == cited["text"]
    shot(page, "7-citation-link")


def test_with_an_api_key_the_page_asks_for_it_once_then_answers(browser, keyed_url):
    page = browser.new_page()
    page.goto(keyed_url + "/")
    page.get_by_label("Your question").fill("Wanneer trad Ivens af?")
    page.get_by_role("button", name="Ask").click()
    page.locator("#transcript .turn.error").wait_for()
    assert "API key" in page.locator("#transcript .turn.error").inner_text()
    assert page.get_by_label("Your question").input_value() == "Wanneer trad Ivens af?"  # kept for the retry
    page.get_by_label("API key").fill("k3y")
    turn = ask(page, "Wanneer trad Ivens af?")
    assert "juli" in turn.locator(".answer").inner_text()
    page.get_by_label("API key").fill("")
    turn = ask(page, "Who is Peter Teesink?")  # the key is remembered in this tab
    assert turn.locator(".answer, .abstain").count() == 1
    shot(page, "8-api-key")
    page.close()


def test_the_timeline_lists_the_events_in_date_order_and_opens_a_sentence(page, base_url):
    page.get_by_role("link", name="Timeline").click()
    page.wait_for_url("**/timeline")
    page.locator("#timeline .event").first.wait_for()
    assert not page.locator("#chat-view").is_visible()
    whens = page.locator("#timeline .event .when").all_inner_texts()
    api = page.request.get(base_url + "/api/timeline").json()
    assert len(whens) == api["count"] >= 5
    years = [int(re.search(r"\d{4}", w).group(0)) for w in whens]
    assert years == sorted(years) and {2019, 2020, 2021} <= set(years)
    assert years.index(2019) < years.index(2020) < years.index(2021)
    # each date said as precisely as the sources say it
    assert {"2019", "February 2021", "early 2021", "5 July 2021"} <= set(whens)
    assert [e["first"] for e in api["events"]] == sorted(e["first"] for e in api["events"])
    event = page.locator("#timeline .event").nth(whens.index("February 2021"))
    sentence = event.locator(".citation").first
    quote = sentence.locator(".quote").inner_text()
    assert re.search(r"\d{4}", sentence.locator(".where").inner_text())  # outlet and article date
    shot(page, "9-timeline")
    sentence.click()
    page.wait_for_selector("#source-view:not([hidden]) mark")
    assert page.locator("#source-text mark").inner_text() == quote
    shot(page, "10-timeline-sentence")
    page.get_by_role("button", name="Close").click()
    page.get_by_role("link", name="Back to the chat").click()
    page.wait_for_url(base_url + "/")
    assert page.get_by_label("Your question").is_visible()


def test_the_timeline_filter_reloads_with_the_topic_and_works_375_px_wide(browser, base_url):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(base_url + "/timeline")
    page.locator("#timeline .event").first.wait_for()
    everything = page.locator("#timeline .event").count()
    page.get_by_label("Only events about").fill("Halsema signaal")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/timeline?q=Halsema+signaal")
    page.locator("#timeline-status", has_text="about").wait_for()
    expected = page.request.get(base_url + "/api/timeline?q=Halsema%20signaal").json()["count"]
    assert page.locator("#timeline .event").count() == expected < everything
    assert page.get_by_label("Only events about").input_value() == "Halsema signaal"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    shot(page, "11-timeline-narrow")
    page.close()


def ink_rows(browser, png: bytes) -> list[int]:
    """The rows of a screenshot holding dark pixels (text). Decoded by the browser on a
    blank page: the chat page's policy allows no data: image."""
    blank = browser.new_page()
    rows = blank.evaluate("""async (url) => {
        const image = new Image();
        image.src = url;
        await image.decode();
        const canvas = document.createElement("canvas");
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, image.width, image.height).data;
        const rows = [];
        for (let y = 0; y < image.height; y++) {
          for (let x = 0; x < image.width; x++) {
            const i = (y * image.width + x) * 4;
            if (pixels[i] + pixels[i + 1] + pixels[i + 2] < 300) { rows.push(y); break; }
          }
        }
        return rows;
    }""", "data:image/png;base64," + base64.b64encode(png).decode())
    blank.close()
    return rows


def test_the_number_of_a_citation_sits_beside_its_first_line(page, browser):
    turn = ask(page, "when did the formal reports come in")
    items = turn.locator("ol.citations > li")
    assert items.count() >= 2
    for n in range(items.count()):
        item = items.nth(n)
        box = item.bounding_box()
        # the list number is drawn left of the item, in the list's padding
        marker = ink_rows(browser, page.screenshot(clip={"x": box["x"] - 20, "y": box["y"],
                                                          "width": 18, "height": box["height"]}))
        assert marker, "no list number drawn beside the item"
        top, bottom = box["y"] + marker[0], box["y"] + marker[-1]
        first = item.locator(".quote").evaluate(
            "q => { const r = q.getClientRects()[0]; return {top: r.top, bottom: r.bottom}; }")
        where = item.locator(".where").bounding_box()
        assert first["top"] - 2 <= top and bottom <= first["bottom"] + 2, (n, top, bottom, first)
        assert bottom < where["y"]
    shot(page, "12-citation-numbers")


def test_sources_that_give_different_amounts_are_shown_side_by_side(browser, bridge_url):
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(bridge_url + "/")
    turn = ask(page, "Hoeveel kost de nieuwe Waalbrug?")
    differ = turn.get_by_role("region", name="Sources differ")
    assert differ.is_visible()
    values = differ.locator(".differ-value")
    assert values.count() == 2
    shown = {values.nth(i).locator(".value").inner_text(): values.nth(i) for i in range(2)}
    assert set(shown) == {"14 miljoen euro", "16 miljoen euro"}
    assert turn.locator(".answer").inner_text() in shown
    assert "Nieuwe brug kost meer" in shown["14 miljoen euro"].inner_text()
    assert "2 May 2023" in shown["14 miljoen euro"].inner_text()
    assert "Brug duurder dan gedacht" in shown["16 miljoen euro"].inner_text()
    assert "3 May 2023" in shown["16 miljoen euro"].inner_text()
    # side by side: one row
    a, b = (shown[v].bounding_box() for v in ("14 miljoen euro", "16 miljoen euro"))
    assert abs(a["y"] - b["y"]) < 1 and a["x"] != b["x"]
    shot(page, "13-sources-differ")
    shown["16 miljoen euro"].locator(".citation").first.click()
    page.wait_for_selector("#source-view:not([hidden]) mark")
    assert page.locator("#source-text mark").inner_text() == \
        "De nieuwe Waalbrug kost 16 miljoen euro, zegt de provincie."
    shot(page, "14-sources-differ-source")
    page.close()


def test_the_timeline_shows_a_date_the_outlets_dispute_with_their_outlet(browser, pile_url):
    page = browser.new_page()
    page.goto(pile_url + "/timeline")
    event = page.locator("#timeline .event").first
    event.wait_for()
    assert event.locator(".when").inner_text() == "12 November 2021"
    disputed = event.locator(".disputed").inner_text()
    assert disputed == "Sources differ: October 2021 according to Zwembad duurder"
    shot(page, "15-timeline-disputed")
    page.close()
