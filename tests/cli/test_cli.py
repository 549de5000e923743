"""python -m qa: the engine from a terminal."""
import json

import pytest

from qa.__main__ import main

ARTICLE = (" date 2021-03 De minister van Verkeer Jan de Vries is op 4 maart afgetreden. "
           "Zijn taken worden waargenomen door staatssecretaris Anna Bakker. "
           # other sentences, so that words have document frequencies as in a real article
           + " ".join(f"Zin {n} gaat over iets anders." for n in range(20)) + "\n")


@pytest.fixture
def sources(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "minister.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def test_index_then_ask_prints_the_answer_and_its_citation(sources, tmp_path, capsys):
    index = tmp_path / "index.npz"
    assert main(["index", str(sources), "--out", str(index), "--no-semantic"]) == 0
    assert index.exists() and "indexed 22 sentences from 1 sources" in capsys.readouterr().out
    assert main(["ask", "Wie neemt de taken van Jan de Vries waar?", "--sources", str(sources),
                 "--index", str(index), "--no-semantic"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Anna Bakker\n")
    assert "waargenomen door staatssecretaris" in out and "minister [" in out


def test_ask_json_is_the_api_response(sources, capsys):
    assert main(["ask", "Wanneer is de minister afgetreden?", "--sources", str(sources),
                 "--no-semantic", "--json"]) == 0
    response = json.loads(capsys.readouterr().out)
    assert response["answer"] == "4 maart 2021" and response["passages"][0]["source"] == "minister"


def test_ask_says_when_the_sources_do_not_say(sources, capsys):
    assert main(["ask", "Wat is de hoofdstad van Peru?", "--sources", str(sources), "--no-semantic"]) == 0
    assert capsys.readouterr().out.startswith("The sources do not say.")


@pytest.mark.parametrize("argv, message", [
    (["ask", "  "], "the question is empty"),
    (["ask", "Wie?", "-k", "0"], "-k must be between 1 and 20"),
])
def test_bad_arguments_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_missing_sources_folder_is_an_error_not_a_traceback(tmp_path, capsys):
    assert main(["ask", "Wie?", "--sources", str(tmp_path / "none"), "--no-semantic"]) == 2
    assert "does not exist" in capsys.readouterr().err
