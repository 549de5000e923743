"""Adding, replacing and removing sources while the service runs, through
Flask's test client: who may, what each kind of document becomes, and that
bad input changes nothing. Several workers and restarts: test_live_sources.py."""

import shutil
import time
from pathlib import Path

import pytest

from qa import create_app

from samples import MELIANI, PAGE, pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "admin-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
@pytest.fixture
def folders(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "seeds", sources)
    return sources, tmp_path / "data"


def make_client(folders, tmp_path=None, **config):
    sources, data = folders
    settings = {
        "TESTING": True,
        "QA_SOURCES": str(sources),
        "QA_DATA_DIR": str(data),
        "QA_ADMIN_TOKEN": TOKEN,
        "QA_INDEX": str(data.parent / "index.npz"),
        "QA_BACKGROUND_VECTORS": False,
        **config,
    }
    return create_app(settings).test_client()


@pytest.fixture
def client(folders):
    return make_client(folders)


def ask(client, question):
    return client.post("/api/ask", json={"question": question}).get_json()


def test_an_article_added_as_json_is_stored_indexed_and_cited_next(client, folders):
    response = client.post("/api/sources", headers=AUTH, json=MELIANI)
    assert response.status_code == 201
    assert response.get_json() == {
        "id": "meliani-nieuwe-wethouder-wonen",
        "title": MELIANI["title"],
        "date": "2021-08-25",
        "publisher": "AT5",
        "sentences": 4,
    }
    answer = ask(client, "Wie is de nieuwe wethouder Wonen?")
    assert "Meliani" in answer["answer"]
    assert answer["passages"][0]["source"] == "meliani-nieuwe-wethouder-wonen"
    source = client.get("/api/sources/meliani-nieuwe-wethouder-wonen").get_json()
    passage = answer["passages"][0]
    assert source["text"][passage["start"] : passage["end"]] == passage["text"]
    assert (folders[1] / "meliani-nieuwe-wethouder-wonen.txt").is_file()


def test_an_html_page_keeps_its_article_and_drops_menus_scripts_and_footer(client):
    response = client.post("/api/sources", headers={**AUTH, "Content-Type": "text/html"}, data=PAGE.encode())
    assert response.status_code == 201
    stored = response.get_json()
    assert stored["title"] == "Berlagebrug dicht" and stored["date"] == "2021-03-01"
    text = client.get(f"/api/sources/{stored['id']}").get_json()["text"]
    assert "twee weken dicht" in text and "Nieuwe Amstelbrug" in text
    for furniture in ("cookie", "alert", "Verkeer", "Copyright", "document."):
        assert furniture not in text
    assert "twee weken" in ask(client, "Hoe lang gaat de Berlagebrug dicht?")["answer"]


def test_a_pdf_is_read_with_metadata_from_the_query(client):
    body = pdf_bytes("Sneeuwval", "Op zondag 7 februari viel er in Amsterdam twintig centimeter sneeuw.")
    response = client.post(
        "/api/sources?date=2021-02-08&id=sneeuw",
        headers={**AUTH, "Content-Type": "application/pdf"},
        data=body,
    )
    assert response.status_code == 201
    assert response.get_json()["id"] == "sneeuw" and response.get_json()["title"] == "Sneeuwval"
    assert ask(client, "Hoeveel sneeuw viel er in Amsterdam?")["passages"][0]["source"] == "sneeuw"


def test_plain_text_takes_its_title_from_the_query_or_its_first_line(client):
    body = b"Nieuwe tram naar IJburg\n\nVanaf mei rijdt tram 26 elke vijf minuten naar IJburg."
    response = client.post("/api/sources", headers={**AUTH, "Content-Type": "text/plain"}, data=body)
    assert response.status_code == 201 and response.get_json()["title"] == "Nieuwe tram naar IJburg"


def test_replace_then_delete(client):
    client.post("/api/sources", headers=AUTH, json={**MELIANI, "id": "wethouder"})
    replaced = client.put(
        "/api/sources/wethouder",
        headers=AUTH,
        json={"title": "Correctie", "text": "Touria Meliani wordt pas in september wethouder."},
    )
    assert replaced.status_code == 200 and replaced.get_json()["title"] == "Correctie"
    assert "september" in client.get("/api/sources/wethouder").get_json()["text"]
    assert client.delete("/api/sources/wethouder", headers=AUTH).get_json() == {
        "id": "wethouder",
        "deleted": True,
    }
    assert client.get("/api/sources/wethouder").status_code == 404
    assert all(
        p["source"] != "wethouder" for p in ask(client, "Wanneer wordt Meliani wethouder?")["passages"]
    )
    assert client.delete("/api/sources/wethouder", headers=AUTH).status_code == 404


def test_put_of_a_new_id_adds_it(client):
    assert client.put("/api/sources/nieuw", headers=AUTH, json=MELIANI).status_code == 201


@pytest.mark.parametrize(
    "request_args, status, code",
    [
        ({"json": MELIANI, "headers": {}}, 401, "invalid_admin_token"),
        ({"json": MELIANI, "headers": {"Authorization": "Bearer wrong"}}, 401, "invalid_admin_token"),
        (
            {"data": b"\x89PNG", "headers": {**AUTH, "Content-Type": "image/png"}},
            415,
            "unsupported_media_type",
        ),
        ({"data": b"caf\xe9", "headers": {**AUTH, "Content-Type": "text/plain"}}, 422, "unreadable_document"),
        (
            {"data": b"%PDF-1.4 not really", "headers": {**AUTH, "Content-Type": "application/pdf"}},
            422,
            "unreadable_document",
        ),
        (
            {
                "data": b"<html><head><script>var a = 1;</script></head><body> </body></html>",
                "headers": {**AUTH, "Content-Type": "text/html"},
            },
            422,
            "unreadable_document",
        ),
        (
            {"data": b"PK\x03\x04 a zip", "headers": {**AUTH, "Content-Type": "application/pdf"}},
            422,
            "unreadable_document",
        ),
        ({"json": {**MELIANI, "id": "../etc/passwd"}, "headers": AUTH}, 400, "invalid_request"),
        (
            {
                "data": b"tekst",
                "query_string": {"id": "../x"},
                "headers": {**AUTH, "Content-Type": "text/plain"},
            },
            400,
            "invalid_id",
        ),
        ({"json": {**MELIANI, "date": "gisteren"}, "headers": AUTH}, 400, "invalid_request"),
        ({"json": {"title": "Leeg", "text": "   "}, "headers": AUTH}, 400, "invalid_request"),
        ({"json": {**MELIANI, "id": "000_6e4b85fed620331c"}, "headers": AUTH}, 409, "read_only_source"),
        (
            {"data": "x" * 3000, "headers": {**AUTH, "Content-Type": "text/plain"}},
            413,
            "request_entity_too_large",
        ),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(folders, request_args, status, code):
    client = make_client(folders, QA_MAX_SOURCE_BYTES=2000)
    before = client.get("/api/sources").get_json()
    response = client.post("/api/sources", **request_args)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert client.get("/api/sources").get_json() == before
    assert sorted(p.name for p in folders[1].glob("*.txt")) == []


def test_without_an_admin_token_the_api_is_read_only(folders):
    client = make_client(folders, QA_ADMIN_TOKEN="")
    response = client.post("/api/sources", headers=AUTH, json=MELIANI)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "read_only"
    assert client.delete("/api/sources/000_6e4b85fed620331c", headers=AUTH).status_code == 403
    assert client.get("/api/sources").status_code == 200


def test_an_existing_id_is_409_on_post_and_the_same_text_is_a_duplicate(client):
    client.post("/api/sources", headers=AUTH, json={**MELIANI, "id": "een"})
    again = client.post("/api/sources", headers=AUTH, json={**MELIANI, "id": "een", "text": "Iets anders."})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "exists"
    same = client.post(
        "/api/sources",
        headers=AUTH,
        json={**MELIANI, "id": "twee", "date": "2021-08-26", "text": MELIANI["text"].replace(" ", "  ")},
    )
    assert same.status_code == 409 and same.get_json()["error"]["code"] == "duplicate"
    assert "'een'" in same.get_json()["error"]["message"]


def test_a_title_made_id_that_is_taken_gets_a_number(client):
    client.post("/api/sources", headers=AUTH, json=MELIANI)
    other = client.post("/api/sources", headers=AUTH, json={**MELIANI, "text": "Een ander bericht."})
    assert other.get_json()["id"] == "meliani-nieuwe-wethouder-wonen-2"


def test_a_file_dropped_into_a_folder_is_served_and_a_removed_one_dropped(folders):
    client = make_client(folders, QA_WATCH_SECONDS=0.0)
    dropped = folders[0] / "dropped.txt"
    dropped.write_text(
        "Veerpont\n\nDe veerpont naar Noord vaart vanaf juni ook 's nachts.\n", encoding="utf-8"
    )
    assert ask(client, "Wanneer vaart de veerpont ook 's nachts?")["passages"][0]["source"] == "dropped"
    dropped.unlink()
    assert all(
        p["source"] != "dropped" for p in ask(client, "Wanneer vaart de veerpont 's nachts?")["passages"]
    )


def test_from_many_sources_on_the_folders_are_listed_beside_the_requests(folders, monkeypatch):
    """A listing stats every file: past store.LIST_ASIDE_FROM sources it runs in a thread, the
    requests meanwhile answer at once from what was read, and one after it reads the dropped file."""
    from qa.web import store

    listed = store.list_folders

    def slow_listing(*args, **kwargs):
        time.sleep(1.0)  # as 40,000 files take a third of that
        return listed(*args, **kwargs)

    monkeypatch.setattr(store, "LIST_ASIDE_FROM", 5)  # the seeds are five
    monkeypatch.setattr(store, "list_folders", slow_listing)
    client = make_client(folders, QA_WATCH_SECONDS=0.0)
    (folders[0] / "dropped.txt").write_text(
        "Veerpont\n\nDe veerpont naar Noord vaart vanaf juni ook 's nachts.\n", encoding="utf-8")
    started = time.perf_counter()
    first = ask(client, "Wanneer vaart de veerpont ook 's nachts?")
    assert time.perf_counter() - started < 0.9  # not held by the listing
    assert all(p["source"] != "dropped" for p in first["passages"])
    deadline = time.monotonic() + 30
    while ask(client, "Wanneer vaart de veerpont ook 's nachts?")["passages"][0]["source"] != "dropped":
        assert time.monotonic() < deadline, "the dropped file was never read"
        time.sleep(0.1)


def test_the_index_merged_by_another_process_is_followed_while_the_engine_before_answers(folders):
    from qa.index import segment
    from qa.web.store import EXTENSION

    client = make_client(folders, QA_WATCH_SECONDS=0.0)
    sources = client.application.extensions[EXTENSION]
    assert client.post("/api/sources", headers=AUTH, json=MELIANI).status_code == 201
    added = sources.engine
    assert added.segment is not None and not added.outdated()
    index = Path(sources.config["QA_INDEX"])
    assert segment.merge_saved(index)  # as `python -m qa merge` does, in another process
    assert added.outdated()
    answers = []
    for _ in range(200):  # the engine before answers while the merged index loads aside
        answers.append(ask(client, "Wie is de nieuwe wethouder Wonen?")["passages"][0]["source"])
        if sources.engine is not added:
            break
    else:
        pytest.fail("the merged index was not followed")
    assert set(answers) == {"meliani-nieuwe-wethouder-wonen"}
    merged = sources.engine
    assert merged.origin.fingerprint == added.folder_digest and not merged.outdated()
    assert merged.index is merged.origin.prepared.index  # the merged index alone: no segment left
