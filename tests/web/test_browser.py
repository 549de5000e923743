"""The chat page in a real browser: Debian's headless Chromium, driven by
playwright (the Python package, pointed at /usr/bin/chromium; it downloads no
browser). A screenshot of each step goes to artifacts/browser/."""
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from qa import create_app
from qa.pipeline.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "browser"
# A source whose text is markup and script: it must show as text and run nothing.
EVIL = ("Bericht van de wethouder\n\nIn het bericht aan de raad stond letterlijk "
        "<script>window.pwned = 1</script> en <img src=x onerror=\"window.pwned = 2\"> "
        "en ook javascript:window.pwned=3 als tekst.\n")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                "(`make test` installs it as root: apt-get install chromium)")


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
