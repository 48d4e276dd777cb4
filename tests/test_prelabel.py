"""The language-model pre-labeller against a fake OpenAI-compatible server on 127.0.0.1 (no real host)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analysis.core.labels import read_labels, write_labels
from analysis.nlp.labelling_keys import Choice, label_row
from analysis.nlp.prelabel import (
    BadAnswer,
    LLMClient,
    LLMConfig,
    PrelabelStop,
    cache_key,
    parse_answer,
    prelabel,
    prompt_version,
)
from collectors.http import RateLimiter, RetryPolicy, make_client
from collectors.store import Store
from dashboard.cli import cli

KEY = "sk-test-secret-0123456789"
TRACKER = "iqiyi-nadou"


def completion(content: str | None, refusal: str | None = None) -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": refusal},
                         "finish_reason": "stop"}]}


class FakeLLM:
    """Serves scripted answers in order; once the script runs out, answers by keywords in the text."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], Any, float]] = []
        self.requests: list[dict[str, Any]] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def then(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
             delay: float = 0.0) -> FakeLLM:
        self.script.append((status, headers or {}, body, delay))
        return self

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if fake.script:
                    status, headers, answer, delay = fake.script.pop(0)
                else:
                    text = body["messages"][-1]["content"]
                    sentiment = "negative" if "讨厌" in text else "positive" if "喜欢" in text else "neutral"
                    status, headers, delay = 200, {}, 0.0
                    answer = completion(json.dumps({"sentiment": sentiment, "stance": "neutral",
                                                    "emotion": "neutral"}))
                time.sleep(delay)
                raw = answer if isinstance(answer, bytes) else json.dumps(answer or {}).encode()
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM()
    yield server
    server.close()


def make(fake: FakeLLM, tmp_path: Path, timeout: float = 5.0, attempts: int = 3) -> tuple[LLMClient, list[float]]:
    sleeps: list[float] = []
    client = LLMClient(LLMConfig(fake.url, "fake-model", KEY), client=make_client(timeout=timeout),
                       limiter=RateLimiter(0.0), policy=RetryPolicy(attempts=attempts, initial=0.01, jitter=0.0,
                                                                    sleep=sleeps.append),
                       cache_dir=tmp_path / "cache")
    return client, sleeps


def test_answer_is_parsed_then_served_from_the_cache(fake: FakeLLM, tmp_path: Path) -> None:
    fake.then(body=completion('Sure! ```json\n{"sentiment": "negative", "stance": "against", "emotion": "angry"}\n```'))
    client, _ = make(fake, tmp_path)
    choice, cached = client.label("AI演员太讨厌了")
    assert choice == Choice("negative", "oppose", "anger") and not cached  # other schemes' names mapped
    again, cached = client.label("AI演员太讨厌了")
    assert again == choice and cached and len(fake.requests) == 1
    request = fake.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == f"Bearer {KEY}"
    assert request["body"]["model"] == "fake-model" and request["body"]["temperature"] == 0
    assert "deny-involvement" in request["body"]["messages"][0]["content"]  # the guide's rules are the prompt
    key = cache_key("fake-model", prompt_version(), "AI演员太讨厌了")
    cached_file = tmp_path / "cache" / key[:2] / f"{key}.json"
    assert cached_file.exists() and KEY not in cached_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(("answer", "message"), [
    ("I would say it is negative.", "no JSON object"),
    ('{"sentiment": "negative", "stance": oppose}', "malformed JSON"),
    ('{"sentiment": "furious"}', "'furious' is not one of"),
    ('{"stance": "oppose"}', "no sentiment"),
    ("[1, 2]", "no JSON object"),
])
def test_malformed_answers_are_refused_and_not_cached(fake: FakeLLM, tmp_path: Path, answer: str, message: str) -> None:
    fake.then(body=completion(answer))
    client, _ = make(fake, tmp_path)
    with pytest.raises(BadAnswer, match=message):
        client.label("一句话")
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_not_a_completion_and_refusal(fake: FakeLLM, tmp_path: Path) -> None:
    fake.then(body=b"<html>oops</html>").then(body=completion(None, refusal="I can't help with that."))
    client, _ = make(fake, tmp_path)
    with pytest.raises(BadAnswer, match="not a chat completion"):
        client.label("一")
    with pytest.raises(BadAnswer) as refused:
        client.label("二")
    assert refused.value.refused


@pytest.mark.parametrize("body", [{"choices": [{"message": None}]}, {"choices": [{"message": "negative"}]},
                                  {"choices": [{"message": {"content": {"sentiment": "negative"}}}]}])
def test_a_completion_of_the_wrong_shape_is_a_bad_answer_not_a_crash(fake: FakeLLM, tmp_path: Path,
                                                                     body: dict[str, Any]) -> None:
    fake.then(body=body)
    client, _ = make(fake, tmp_path)
    with pytest.raises(BadAnswer):
        client.label("一")


def test_429_with_retry_after_is_honoured(fake: FakeLLM, tmp_path: Path) -> None:
    fake.then(status=429, headers={"Retry-After": "7"}, body={"error": "slow down"})
    fake.then(body=completion('{"sentiment": "positive"}'))
    client, sleeps = make(fake, tmp_path)
    choice, _ = client.label("喜欢")
    assert choice.sentiment == "positive" and len(fake.requests) == 2
    assert sleeps and sleeps[0] >= 7  # waited at least what the server asked


def test_a_rate_limit_longer_than_the_cap_stops_naming_when_to_resume(fake: FakeLLM, tmp_path: Path) -> None:
    fake.then(status=429, headers={"Retry-After": "3600"}, body={"error": "slow down"})
    client, sleeps = make(fake, tmp_path)
    with pytest.raises(PrelabelStop, match=r"rate limited for about 60 min; resume after .* UTC") as stop:
        client.label("喜欢")
    assert len(fake.requests) == 1 and not sleeps and "attempts" not in str(stop.value)


def test_timeouts_are_retried_then_stop(fake: FakeLLM, tmp_path: Path) -> None:
    fake.then(delay=1.5, body=completion('{"sentiment": "neutral"}'))
    fake.then(body=completion('{"sentiment": "neutral"}'))
    client, sleeps = make(fake, tmp_path, timeout=0.5)
    assert client.label("今天")[0].sentiment == "neutral"  # the second attempt answered
    assert len(sleeps) == 1
    for _ in range(3):
        fake.then(delay=1.5, body=completion('{"sentiment": "neutral"}'))
    with pytest.raises(PrelabelStop, match="did not answer in time after 3 attempts"):
        client.label("明天")


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_stops_without_leaking_it(fake: FakeLLM, tmp_path: Path, status: int) -> None:
    fake.then(status=status, body={"error": "bad key"})
    client, _ = make(fake, tmp_path)
    with pytest.raises(PrelabelStop) as stop:
        client.label("一")
    assert "ACTORWATCH_LLM_API_KEY" in str(stop.value) and KEY not in str(stop.value)


def content_filtered() -> dict[str, Any]:
    """What Azure OpenAI answers (HTTP 400) when its content filter blocks one prompt."""
    return {"error": {"code": "content_filter", "status": 400, "param": "prompt",
                      "message": "The response was filtered due to the prompt triggering content management policy."}}


def test_a_400_on_one_text_is_one_unusable_answer_and_the_run_goes_on(fake: FakeLLM, tmp_path: Path) -> None:
    store = Store()
    texts = ["我讨厌这个AI演员", "发布会在周一", "我喜欢这个数字人"]
    write_labels(store, [label_row(TRACKER, None, None, t, "alice", Choice("neutral"), "test") for t in texts])
    fake.then(body=completion('{"sentiment": "negative"}')).then(status=400, body=content_filtered())
    client, _ = make(fake, tmp_path)
    summary = prelabel(store, TRACKER, client, n=0)
    assert summary.stopped is None and len(fake.requests) == 3
    assert (summary.asked, summary.written, summary.malformed) == (2, 2, 1)
    assert "HTTP 400" in summary.problems[0] and "content_filter" in summary.problems[0]
    assert "1 unusable answers" in summary.line()
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2  # the rejected text is asked again next time


def test_400_on_the_first_requests_stops_as_a_configuration_problem(fake: FakeLLM, tmp_path: Path) -> None:
    store = Store()
    texts = [f"第{k}句话" for k in range(6)]
    write_labels(store, [label_row(TRACKER, None, None, t, "alice", Choice("neutral"), "test") for t in texts])
    wrong_model = {"error": {"code": "model_not_found", "message": f"The model `fake-model` does not exist ({KEY})"}}
    for _ in range(6):
        fake.then(status=400, body=wrong_model)
    client, _ = make(fake, tmp_path)
    summary = prelabel(store, TRACKER, client, n=0)
    assert len(fake.requests) == 3 and summary.written == 0
    assert summary.stopped and "HTTP 400" in summary.stopped and "ACTORWATCH_LLM_MODEL" in summary.stopped
    assert "model_not_found" in summary.stopped
    assert KEY not in summary.stopped and KEY not in summary.line() and not any(KEY in p for p in summary.problems)


def test_parse_answer_accepts_codes_and_aliases() -> None:
    assert parse_answer('{"sentiment": "0", "stance": "favor", "emotion": "happiness"}') == Choice(
        "negative", "support", "joy")


@pytest.mark.parametrize("answer", [
    ('<think>It asks for {sentiment, stance, emotion}; the text mocks the AI actor.</think>\n'
     '{"sentiment": "negative", "stance": "oppose", "emotion": "disgust"}'),
    '{"sentiment": "negative", "stance": "oppose", "emotion": "disgust"}\n(the {AI演员} is mocked)',
])
def test_braces_in_text_around_the_answer_do_not_hide_it(answer: str) -> None:
    """Reasoning models (a <think> block) and chatty ones put braces beside the JSON object asked for."""
    assert parse_answer(answer) == Choice("negative", "oppose", "disgust")


def test_prelabel_labels_human_items_first_and_cli_prints_agreement(fake: FakeLLM, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    texts = {"我讨厌这个AI演员": "negative", "我喜欢这个数字人": "positive", "发布会在周一": "neutral",
             "真的讨厌": "negative", "特别喜欢": "neutral"}  # the human disagrees with the model on the last
    write_labels(store, [label_row(TRACKER, None, None, t, "alice", Choice(v), "test") for t, v in texts.items()])
    monkeypatch.setenv("ACTORWATCH_LLM_BASE_URL", fake.url)
    monkeypatch.setenv("ACTORWATCH_LLM_MODEL", "fake-model")
    monkeypatch.setenv("ACTORWATCH_LLM_API_KEY", KEY)
    res = CliRunner().invoke(cli, ["labels", "prelabel", "--tracker", TRACKER, "--n", "0", "--min-interval", "0"])
    assert res.exit_code == 0, res.output
    assert "llm:fake-model: 5 texts labelled (0 from the cache), 5 labels written" in res.output
    assert "agreement with the human labels (sentiment): n = 5, kappa 0.71" in res.output
    assert KEY not in res.output
    with store.connect() as con:
        stored = read_labels(con, TRACKER)
    machine = stored[stored["annotator"] == "llm:fake-model"]
    assert len(machine) == 5 and set(machine["origin"]) == {f"llm:fake-model@{prompt_version()}"}
    assert not stored.astype(str).apply(lambda c: c.str.contains(KEY)).any().any()
    # again: everything from the cache, nothing new written
    client = LLMClient(LLMConfig(fake.url, "fake-model", KEY), limiter=RateLimiter(0.0))
    summary = prelabel(store, TRACKER, client, n=0)
    assert (summary.asked, summary.written) == (0, 0) and len(fake.requests) == 5


def test_prelabel_is_off_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACTORWATCH_LLM_BASE_URL", "ACTORWATCH_LLM_MODEL", "ACTORWATCH_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    res = CliRunner().invoke(cli, ["labels", "prelabel", "--tracker", TRACKER])
    assert res.exit_code == 1 and "pre-labelling is off" in res.output


def test_prelabel_sends_imported_texts_with_ordinary_users_masked(fake: FakeLLM, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A labelled file's texts are stored as the file has them (`labels import` of a team's own labelled set, or of
    rows copied from another tool's export), @mentions and profile links included, and pre-labelling sent them so to
    the language model's endpoint, a third party: ordinary users' names left the machine. What is sent is now masked
    as records_public masks a record's text; a text already masked (an exported sample's) is sent unchanged."""
    store = Store()
    raw = "我讨厌这个AI演员 @李四同学 //@王五路人:转发 https://weibo.com/u/5551234567 @爱奇艺"
    shown = "我讨厌这个AI演员 @(user) //@(user):转发 https://weibo.com/u/(user) @爱奇艺"
    write_labels(store, [label_row(TRACKER, None, None, raw, "alice", Choice("negative"), "test"),
                         label_row(TRACKER, None, None, shown + " 又一条", "alice", Choice("negative"), "test")])
    client, _ = make(fake, tmp_path)
    summary = prelabel(store, TRACKER, client, n=0)
    assert summary.written == 2
    sent = [r["body"]["messages"][-1]["content"] for r in fake.requests]
    for name in ("李四同学", "王五路人", "5551234567"):
        assert not any(name in s for s in sent), sent
    assert any(shown + "\n" in s for s in sent) and any(shown + " 又一条\n" in s for s in sent), sent
    with store.connect() as con:
        stored = read_labels(con, TRACKER)
    assert (stored["annotator"] == "llm:fake-model").sum() == 2  # the labels still name the human-labelled items
