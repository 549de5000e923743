"""qa.web.completions: an answer in OpenAI's Chat Completions shape, and the
conversation read back out of `messages`."""
import json

import pytest

from qa.pipeline.disagreement import Disagreement, Value
from qa.pipeline.question import read_question
from qa.pipeline.result import Passage, Result
from qa.web.completions import (
    NOT_IN_SOURCES,
    ConversationError,
    chunks,
    cited_content,
    completion,
    conversation,
    text_of,
    usage,
)


def url(source, start, end):
    return f"http://svc/sources/{source}#{start}-{end}"


def passage(source, start, end, title="Titel"):
    return Passage(source=source, title=title, date="2021-07", sentence=0, text="Zin.", start=start, end=end,
                   score=0.9, sources=[{"source": source, "sentence": 0, "start": start, "end": end}])


ANSWERED = Result("early 2021", [passage("a", 10, 40), passage("b", 0, 25, title="")],
                  read_question("when?"), confidence=0.9)
SILENT = Result(None, [passage("a", 10, 40)], read_question("what is the capital of France?"), confidence=0.1)
MESSAGES = [{"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "when did the formal reports come in"}]


def test_the_answer_is_followed_by_a_marker_per_passage_each_annotated():
    cited = cited_content(ANSWERED, url)
    assert cited.content == "early 2021 [1][2]"
    first, second = (a["url_citation"] for a in cited.annotations)
    assert cited.content[first["start_index"]:first["end_index"]] == "[1]"
    assert cited.content[second["start_index"]:second["end_index"]] == "[2]"
    assert first["url"] == "http://svc/sources/a#10-40" and first["title"] == "Titel"
    assert second["title"] == "b"  # an untitled source is named by its id
    assert all(a["type"] == "url_citation" for a in cited.annotations)


def test_where_the_sources_differ_a_sentence_after_the_answer_says_so_each_value_cited():
    differ = Disagreement("amount", [Value("16 miljoen euro", None, [1], ["b"], ["2023-05-03"]),
                                     Value("14 miljoen euro", None, [0, 2], ["a", "c"], ["2023-05-02"])])
    result = Result("16 miljoen euro", [passage("a", 0, 10), passage("b", 0, 10), passage("c", 0, 10)],
                    read_question("hoeveel?"), confidence=0.5, disagreement=differ)
    cited = cited_content(result, url)
    assert cited.content == ("16 miljoen euro [1][2][3] Sources differ: 16 miljoen euro [2]; "
                             "14 miljoen euro [1][3].")
    for a in cited.annotations:
        marker = cited.content[a["url_citation"]["start_index"]:a["url_citation"]["end_index"]]
        assert a["url_citation"]["url"].startswith(f"http://svc/sources/{'abc'[int(marker[1]) - 1]}#")
    # sent back as history, the answer is the answer alone
    asked = conversation([{"role": "user", "content": "hoeveel?"},
                          {"role": "assistant", "content": cited.content},
                          {"role": "user", "content": "en waarom?"}], 10, 4000)
    assert asked.history[1]["content"] == "16 miljoen euro"


def test_when_the_sources_do_not_say_the_content_says_so_and_cites_nothing():
    cited = cited_content(SILENT, url)
    assert cited == (NOT_IN_SOURCES, [])


def test_a_completion_is_a_chat_completion_with_the_api_answer_as_extra_field():
    body = completion(ANSWERED, "qa", MESSAGES, url, created=5, completion_id="chatcmpl-1")
    assert body["object"] == "chat.completion" and body["model"] == "qa" and body["created"] == 5
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and message["content"] == "early 2021 [1][2]"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["qa"] == ANSWERED.to_json()
    json.dumps(body)  # plain JSON throughout


def test_usage_counts_words_of_every_message_and_of_the_content():
    assert usage(MESSAGES, "early 2021 [1][2]") == {"prompt_tokens": 10, "completion_tokens": 3,
                                                    "total_tokens": 13}


@pytest.mark.parametrize("result", [ANSWERED, SILENT])
def test_the_streamed_text_equals_the_completion_text(result):
    streamed = list(chunks(result, "qa", MESSAGES, url, created=5, completion_id="chatcmpl-1"))
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in streamed)
    assert text == completion(result, "qa", MESSAGES, url)["choices"][0]["message"]["content"]
    assert streamed[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == "chatcmpl-1" for c in streamed)
    last = streamed[-1]["choices"][0]
    assert last["finish_reason"] == "stop" and streamed[-1]["qa"] == result.to_json()
    assert last["delta"]["annotations"] == cited_content(result, url).annotations
    assert all(c["choices"][0]["finish_reason"] is None for c in streamed[:-1])


def test_with_include_usage_a_last_chunk_carries_usage_and_no_choice():
    streamed = list(chunks(ANSWERED, "qa", MESSAGES, url, include_usage=True))
    assert streamed[-1]["choices"] == [] and streamed[-1]["usage"]["completion_tokens"] == 3


def test_the_last_user_message_is_the_question_and_earlier_turns_the_history():
    asked = conversation([
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Who resigned?"},
        {"role": "assistant", "content": "Laurens Ivens [1][2]"},
        {"role": "user", "content": [{"type": "text", "text": "and who replaced him?"},
                                     {"type": "image_url", "image_url": {"url": "x"}}]},
    ], max_turns=100, max_turn_chars=4000)
    assert asked.question == "and who replaced him?"
    # Our own markers are no words of the conversation; the system message is not a turn.
    assert asked.history == [{"role": "user", "content": "Who resigned?"},
                             {"role": "assistant", "content": "Laurens Ivens"}]


def test_an_earlier_abstention_comes_back_as_an_empty_turn():
    asked = conversation([{"role": "user", "content": "capital of France?"},
                          {"role": "assistant", "content": NOT_IN_SOURCES},
                          {"role": "user", "content": "and of Spain?"}], 100, 4000)
    assert asked.history[1] == {"role": "assistant", "content": ""}


def test_a_long_conversation_keeps_its_latest_turns_each_cut_to_the_limit():
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 50}
                for i in range(11)]
    asked = conversation(messages, max_turns=4, max_turn_chars=10)
    assert [t["content"] for t in asked.history] == ["turn 6 xxx", "turn 7 xxx", "turn 8 xxx", "turn 9 xxx"]


@pytest.mark.parametrize("messages", [
    [],
    [{"role": "assistant", "content": "hello"}],
    [{"role": "user", "content": "  "}],
    [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
    [{"role": "user", "content": None}],
])
def test_no_question_to_answer_is_an_error(messages):
    with pytest.raises(ConversationError):
        conversation(messages, 100, 4000)


def test_text_of_joins_the_text_parts():
    assert text_of([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "a\nb"
    assert text_of(None) == "" and text_of("x") == "x"
