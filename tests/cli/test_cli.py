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


def test_timeline_prints_the_events_in_order_and_bad_input_is_an_error(tmp_path, capsys):
    folder = tmp_path / "story"
    folder.mkdir()
    filler = " ".join(f"Zin {n} gaat over iets anders." for n in range(20))
    (folder / "a.txt").write_text(" date 2021-07-05\nWeg\n\nIn 2019 kwam een eerste signaal binnen. "
                                  "Op 4 maart werd de wethouder gehoord. Op 5 juli trad de wethouder af. "
                                  + filler,
                                  encoding="utf-8")
    assert main(["timeline", "--sources", str(folder), "--no-semantic", "--data-dir", ""]) == 0
    out = capsys.readouterr().out
    assert out.index("2019") < out.index("4 March 2021") < out.index("5 July 2021")
    assert "In 2019 kwam een eerste signaal binnen." in out and "a [" in out
    assert main(["timeline", "--sources", str(folder), "--no-semantic", "--data-dir", "", "--json",
                 "--q", "wethouder"]) == 0
    assert [e["date"] for e in json.loads(capsys.readouterr().out)["events"]] == ["2021-03-04", "2021-07-05"]
    assert main(["timeline", "--sources", str(folder), "--no-semantic", "--data-dir", "",
                 "--source", "x"]) == 2
    assert "no source" in capsys.readouterr().err
