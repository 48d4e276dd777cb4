"""Optional pre-labelling by a language model behind any OpenAI-compatible chat endpoint (never on by default).

Configured by ACTORWATCH_LLM_BASE_URL, ACTORWATCH_LLM_MODEL and ACTORWATCH_LLM_API_KEY (environment or the
secrets file; the key goes only into the Authorization header, never into logs, labels, caches or exports).
The prompt is data/dicts/labelling_prompt.md (the labelling guide's rules); its hash is the prompt version.
Answers are cached on disk by (model, prompt version, text hash), so a re-run asks nothing twice. Requests are
rate-limited and retried like the collectors' (429/5xx/timeouts with backoff, honouring Retry-After). An answer
that is not the JSON asked for, a refusal, or an HTTP 400 for one text (e.g. a provider's content filter), is
counted and skipped; a rejected key, a dead endpoint, or HTTP 400 to each of the first requests (a wrong model name
or request shape) stops the run, keeping every label already written.

Pre-labels are stored as annotator "llm:<model>" and kept out of adapting unless asked for, after their
agreement with the human labels has been measured (analysis.nlp.agreement.llm_vs_humans).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx

from analysis.core.labels import LLM_PREFIX, read_labels, write_labels
from analysis.nlp.label_sample import sample_to_label
from analysis.nlp.labelling_keys import Choice, label_row
from analysis.nlp.labels_io import display_text
from analysis.nlp.tasks import EMOTION, SENTIMENT, STANCE
from collectors.http import (
    RateLimited,
    RateLimiter,
    RetryPolicy,
    TransientHTTPError,
    make_client,
    polite_request,
)
from collectors.paths import bundled_dir, data_dir
from collectors.secrets import MissingSecret, get_secret, redact_text
from collectors.store import Store, public_text_sql
from collectors.trackers import get_tracker

MAX_TEXT_CHARS = 2000
WRITE_EVERY = 20
DEFAULT_MIN_INTERVAL = 1.0
STOP_AFTER_400 = 3  # HTTP 400 to this many requests in a row from the start: the request, not the text, is wrong


class PrelabelStop(RuntimeError):
    """The endpoint cannot be used (key refused, not found, persistent failure); nothing more is asked."""


class BadAnswer(ValueError):
    """One answer could not be used (not the JSON asked for, or a refusal)."""

    def __init__(self, reason: str, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_secrets(cls) -> LLMConfig:
        """From ACTORWATCH_LLM_BASE_URL / _MODEL / _API_KEY (environment or secrets file)."""
        base_url, model = get_secret("llm_base_url"), get_secret("llm_model")
        if not base_url or not model:
            raise MissingSecret("pre-labelling is off: set ACTORWATCH_LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. "
                                "https://host/v1) and ACTORWATCH_LLM_MODEL, and ACTORWATCH_LLM_API_KEY if it needs one "
                                "(environment or the secrets file)")
        return cls(base_url.rstrip("/"), model, get_secret("llm_api_key"))

    @property
    def annotator(self) -> str:
        return f"{LLM_PREFIX}{self.model}"


def prompt_template() -> str:
    return (bundled_dir() / "dicts" / "labelling_prompt.md").read_text(encoding="utf-8")


def prompt_version() -> str:
    return hashlib.sha256(prompt_template().encode("utf-8")).hexdigest()[:12]


def cache_key(model: str, version: str, text: str) -> str:
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashlib.sha256(f"{model}\n{version}\n{text_hash}".encode()).hexdigest()


def parse_answer(content: str) -> Choice:
    """The labels in a model's answer: one JSON object with sentiment (required), stance and emotion."""
    data = _answer_object(content or "")
    values: dict[str, str | None] = {}
    for task in (SENTIMENT, STANCE, EMOTION):
        raw = data.get(task.name)
        if raw in (None, ""):
            values[task.name] = None
            continue
        index = task.index(str(raw))
        if index is None:
            raise BadAnswer(f"{task.name} {str(raw)[:40]!r} is not one of {', '.join(task.classes)}")
        values[task.name] = task.classes[index]
    if values["sentiment"] is None:
        raise BadAnswer("no sentiment in the answer")
    return Choice(values["sentiment"], values["stance"], values["emotion"])


def _answer_object(content: str) -> dict[str, Any]:
    """The last JSON object in the answer that names a sentiment (else the last object): text around it, a reasoning
    model's <think> block or a note, may hold braces of its own."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    error = None
    start = content.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(content, start)
        except json.JSONDecodeError as exc:
            error = error or exc.msg
            start = content.find("{", start + 1)
            continue
        if isinstance(value, dict):
            objects.append(value)
        start = content.find("{", end)
    if not objects:
        raise BadAnswer(f"malformed JSON: {error}" if error else "no JSON object in the answer")
    return next((o for o in reversed(objects) if SENTIMENT.name in o), objects[-1])


class LLMClient:
    """Asks the endpoint for one text's labels, through the on-disk cache, rate limit and retries."""

    def __init__(self, config: LLMConfig, client: httpx.Client | None = None, limiter: RateLimiter | None = None,
                 policy: RetryPolicy | None = None, cache_dir: Path | None = None, timeout: float = 60.0) -> None:
        self.config = config
        self.client = client or make_client(timeout=timeout)
        self.limiter = limiter or RateLimiter(DEFAULT_MIN_INTERVAL)
        self.policy = policy or RetryPolicy()
        self.cache_dir = cache_dir or data_dir() / "cache" / "prelabel"
        self.version = prompt_version()
        self._system = prompt_template()
        self.requests = 0
        self.rejected_at_start = 0  # HTTP 400s before any other answer
        self.answered = False

    def _cache_path(self, text: str) -> Path:
        key = cache_key(self.config.model, self.version, text)
        return self.cache_dir / key[:2] / f"{key}.json"

    def label(self, text: str) -> tuple[Choice, bool]:
        """(labels, whether they came from the cache); raises BadAnswer for this text, PrelabelStop for all."""
        path = self._cache_path(text)
        if path.exists():
            try:
                return parse_answer(json.loads(path.read_text(encoding="utf-8"))["content"]), True
            except (OSError, ValueError, KeyError):
                path.unlink(missing_ok=True)
        content = self._ask(text[:MAX_TEXT_CHARS])
        choice = parse_answer(content)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:6]}.tmp")
        tmp.write_text(json.dumps({"model": self.config.model, "prompt_version": self.version, "content": content},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        return choice, False

    def _ask(self, text: str) -> str:
        headers = {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}
        body = {"model": self.config.model, "temperature": 0,
                "messages": [{"role": "system", "content": self._system},
                             {"role": "user", "content": "Text to label:\n\"\"\"\n" + text + "\n\"\"\""}]}
        url = f"{self.config.base_url}/chat/completions"
        self.requests += 1
        try:
            response = polite_request(self.client, "POST", url, limiter=self.limiter, policy=self.policy,
                                      json=body, headers=headers)
        except RateLimited as exc:
            raise PrelabelStop(f"{exc} (answers so far are kept)") from None
        except TransientHTTPError as exc:
            raise PrelabelStop(f"{exc} after {self.policy.attempts} attempts; re-run later (answers so far are kept)"
                               ) from None
        except httpx.TimeoutException:
            raise PrelabelStop(f"the endpoint did not answer in time after {self.policy.attempts} attempts; re-run "
                               "later (answers so far are kept)") from None
        except httpx.TransportError as exc:
            raise PrelabelStop(f"cannot reach the endpoint ({type(exc).__name__}); check ACTORWATCH_LLM_BASE_URL"
                               ) from None
        if response.status_code in (401, 403):
            raise PrelabelStop(f"the endpoint refused the request (HTTP {response.status_code}): check "
                               "ACTORWATCH_LLM_API_KEY")
        if response.status_code == 400:
            reason = self._rejection(response)
            if not self.answered:
                self.rejected_at_start += 1
                if self.rejected_at_start >= STOP_AFTER_400:
                    raise PrelabelStop(f"the endpoint answered HTTP 400 (bad request) to each of the first "
                                       f"{self.rejected_at_start} requests{reason}: check ACTORWATCH_LLM_MODEL and "
                                       "ACTORWATCH_LLM_BASE_URL")
            raise BadAnswer(f"the endpoint rejected this text (HTTP 400{reason})")
        self.answered = True
        if response.status_code != 200:
            raise PrelabelStop(f"the endpoint answered HTTP {response.status_code} (check ACTORWATCH_LLM_BASE_URL "
                               "and ACTORWATCH_LLM_MODEL)")
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise BadAnswer("the response is not a chat completion") from None
        if not isinstance(message, dict):
            raise BadAnswer("the response is not a chat completion")
        if message.get("refusal"):
            raise BadAnswer("the model refused", refused=True)
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise BadAnswer("empty answer", refused=True)
        return content

    def _rejection(self, response: httpx.Response) -> str:
        """"; it said: <code>: <message>" from an OpenAI-style error body (short, any secret removed), or ""."""
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            return ""
        if isinstance(error, str):
            said = error
        elif isinstance(error, dict):
            said = ": ".join(str(error[k]) for k in ("code", "message") if error.get(k))
        else:
            return ""
        said = redact_text(said, [self.config.api_key] if self.config.api_key else None)[:200]
        return f"; it said: {said}" if said else ""


@dataclass
class PrelabelSummary:
    annotator: str
    asked: int = 0
    cached: int = 0
    written: int = 0
    malformed: int = 0
    refused: int = 0
    stopped: str | None = None
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        done = (f"{self.annotator}: {self.asked + self.cached:,} texts labelled ({self.cached:,} from the cache), "
                f"{self.written:,} labels written, {self.malformed:,} unusable answers, {self.refused:,} refusals")
        return done + (f"; stopped: {self.stopped}" if self.stopped else "")


def _public_texts(con: duckdb.DuckDBPyConnection, texts: list[str], public_names: set[str]) -> list[str]:
    """`texts` with ordinary users masked as in records_public (see collectors.store.public_text_sql)."""
    if not texts:
        return []
    return con.execute(f"SELECT list_transform(?::VARCHAR[], lambda t: {public_text_sql('t', public_names)})",
                       [texts]).fetchone()[0]


def prelabel(store: Store, tracker: str, client: LLMClient, n: int = 100,
             log: Callable[[str], None] | None = None) -> PrelabelSummary:
    """Pre-label the tracker's human-labelled items first (so agreement can be measured), then n sampled records."""
    annotator = client.config.annotator
    summary = PrelabelSummary(annotator)
    with store.connect() as con:
        labels = read_labels(con, tracker)
        done = set(labels.loc[labels["annotator"] == annotator, "item"]) if not labels.empty else set()
        human = labels[~labels["annotator"].str.startswith(LLM_PREFIX) & (labels["status"] == "labelled")] \
            if not labels.empty else labels
        todo: list[dict[str, Any]] = []
        for row in human.drop_duplicates("item").itertuples(index=False):
            if row.item not in done:
                todo.append({"source": row.source, "id": row.id, "text": row.text})
        # a labelled file's text is stored as the file has it; what goes to the endpoint, a third party, is masked
        asked = _public_texts(con, [t["text"] for t in todo], get_tracker(tracker).public_names())
        todo = [{**t, "asked": a} for t, a in zip(todo, asked, strict=True)]
        sampled = sample_to_label(con, tracker, n, exclude=done | {t["item"] for t in human.to_dict("records")})
    todo += [{"source": r.source, "id": r.id, "text": display_text(r.title, r.text)} for r in sampled.itertuples()]
    origin = f"{annotator}@{client.version}"
    pending: list[dict[str, Any]] = []
    try:
        for item in todo:
            try:
                choice, cached = client.label(item.get("asked", item["text"]))
            except BadAnswer as exc:
                summary.refused += exc.refused
                summary.malformed += not exc.refused
                summary.problems.append(str(exc))
                continue
            summary.cached += cached
            summary.asked += not cached
            pending.append(label_row(tracker, item["source"], item["id"], item["text"], annotator, choice, origin))
            if len(pending) >= WRITE_EVERY:
                summary.written += write_labels(store, pending)
                pending = []
                if log:
                    log(summary.line())
    except PrelabelStop as exc:
        summary.stopped = str(exc)
    finally:
        summary.written += write_labels(store, pending)
    return summary
