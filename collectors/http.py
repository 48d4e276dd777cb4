"""HTTP plumbing every collector shares: the client, polite rate limits and retries with backoff + jitter."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

USER_AGENT = "actorwatch/0.1 (+research tool for public-sentiment tracking; contact: see project README)"
RETRY_STATUS = {429, 500, 502, 503, 504}


class TransientHTTPError(RuntimeError):
    """A response worth retrying (429/5xx); carries the server's Retry-After if any."""

    def __init__(self, response: httpx.Response, reason: str = "") -> None:
        super().__init__(reason or f"HTTP {response.status_code} from {response.request.url.host}")
        self.response = response
        self.retry_after = _retry_after(response)


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds: delay-seconds or an HTTP-date (RFC 9110 allows both)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def make_client(timeout: float = 20.0, transport: httpx.BaseTransport | None = None,
                headers: dict[str, str] | None = None, **kw: Any) -> httpx.Client:
    """The default client: our User-Agent, sane timeouts, redirects followed. Tests pass a MockTransport."""
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), transport=transport, follow_redirects=True,
                        headers={"User-Agent": USER_AGENT, **(headers or {})}, **kw)


@dataclass
class RateLimiter:
    """At least `min_interval` seconds between requests (per source); `sleep`/`clock` injectable for tests."""

    min_interval: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, init=False)

    def wait(self) -> None:
        now = self.clock()
        if self._last is not None:
            remaining = self.min_interval - (now - self._last)
            if remaining > 0:
                self.sleep(remaining)
                now = self.clock()
        self._last = now


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientHTTPError | httpx.TimeoutException | httpx.TransportError)


@dataclass
class RetryPolicy:
    attempts: int = 5
    initial: float = 2.0
    maximum: float = 120.0
    jitter: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def retrying(self) -> Retrying:
        def wait(state: RetryCallState) -> float:
            base = wait_exponential_jitter(multiplier=self.initial, max=self.maximum, jitter=self.jitter)(state)
            exc = state.outcome.exception() if state.outcome else None
            hinted = getattr(exc, "retry_after", None)
            return max(base, min(hinted, self.maximum)) if hinted else base

        return Retrying(stop=stop_after_attempt(self.attempts), wait=wait, retry=retry_if_exception(_is_transient),
                        sleep=self.sleep, reraise=True)


def polite_request(client: httpx.Client, method: str, url: str, *, limiter: RateLimiter | None = None,
                   policy: RetryPolicy | None = None, check: Callable[[httpx.Response], None] | None = None,
                   **kw: Any) -> httpx.Response:
    """One request with rate limiting and retries on 429/5xx/timeouts; other statuses are returned as-is.

    `check` inspects each response inside the retry loop: raising TransientHTTPError (e.g. for a
    truncated body) retries it; any other exception stops at once.
    """
    policy = policy or RetryPolicy()
    for attempt in policy.retrying():
        with attempt:
            if limiter:
                limiter.wait()
            response = client.request(method, url, **kw)
            if response.status_code in RETRY_STATUS:
                raise TransientHTTPError(response)
            if check:
                check(response)
            return response
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = [
    "RETRY_STATUS",
    "USER_AGENT",
    "RateLimiter",
    "RetryPolicy",
    "TransientHTTPError",
    "make_client",
    "polite_request",
]
