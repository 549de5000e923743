"""The published contract (/openapi.json), fuzzed against the live server by
schemathesis: no 5xx, every response (errors included) matches its schema."""
import subprocess
import sys
from pathlib import Path

import requests
from conftest import gunicorn
from jsonschema import Draft202012Validator

from qa.web.openapi import ask_schema, request_schema

ROOT = Path(__file__).resolve().parents[2]


def test_the_document_is_openapi_3_1_and_lists_every_endpoint(server):
    spec = requests.get(server + "/openapi.json", timeout=10).json()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {"/api/ask", "/api/sources", "/api/sources/{source_id}", "/api/timeline",
                                  "/healthz", "/v1/models", "/v1/models/{model}", "/v1/chat/completions"}


def test_the_api_validates_with_the_published_schema(app):
    with app.test_request_context():
        published = app.test_client().get("/openapi.json").get_json()
        body = published["paths"]["/api/ask"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        assert schema == ask_schema()  # one schema: what is published is what is enforced
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["question"]["maxLength"] == app.config["QA_MAX_QUESTION_CHARS"]


def test_the_chat_endpoint_validates_with_its_published_schema(app):
    with app.test_request_context():
        published = app.test_client().get("/openapi.json").get_json()
        schema = published["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]
        assert schema["application/json"]["schema"] == request_schema("/v1/chat/completions")
    Draft202012Validator.check_schema(schema["application/json"]["schema"])


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(tmp_path):
    # Its own server, with an admin token and a data folder of its own: the fuzzer adds and removes sources.
    schemathesis = Path(sys.executable).parent / "schemathesis"
    with gunicorn(QA_ADMIN_TOKEN="fuzz-token", QA_DATA_DIR=str(tmp_path / "data"),
                  QA_INDEX=str(tmp_path / "index.npz")) as server:
        command = [str(schemathesis), "--config-file", str(ROOT / "schemathesis.toml"), "run",
                   server + "/openapi.json", "--checks", "all", "--max-examples", "100",
                   "--header", "Authorization: Bearer fuzz-token", "--seed", "1",
                   "--generation-allow-x00", "true", "--request-timeout", "10",
                   "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml")]
        # (run in tmp_path: its cache stays out of the repository)
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
