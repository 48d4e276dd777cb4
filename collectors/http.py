"""HTTP plumbing every collector shares: the client, polite rate limits and retries with backoff + jitter."""

from __future__ import annotations

import codecs
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

USER_AGENT = "actorwatch/0.1 (+research tool for public-sentiment tracking; contact: see project README)"
RETRY_STATUS = {429, 500, 502, 503, 504}
# a timeout, a connection refused or reset, a body garbled in transit (a gzip stream that does not decode): retried,
# then reported as the network failing
NETWORK_ERRORS = (httpx.TransportError, httpx.DecodingError)


class TransientHTTPError(RuntimeError):
    """A response worth retrying (429/5xx); carries how long the server asks us to wait, if it says."""

    def __init__(self, response: httpx.Response, reason: str = "") -> None:
        super().__init__(reason or f"HTTP {response.status_code} from {response.request.url.host}")
        self.response = response
        self.retry_after = server_wait(response)


class RateLimited(TransientHTTPError):
    """The server asks for a longer wait than the retry policy's cap: stop now, resume after `resume_at`."""

    def __init__(self, response: httpx.Response, wait: float) -> None:
        self.resume_at = datetime.now(UTC) + timedelta(seconds=math.ceil(min(wait, 366 * 86400)))
        super().__init__(response, f"HTTP {response.status_code} from {response.request.url.host}: rate limited "
                                   f"for {_minutes(wait)}; resume after {self.resume_at:%Y-%m-%d %H:%M:%S} UTC")
        self.retry_after = wait


def _minutes(seconds: float) -> str:
    return f"{math.ceil(seconds)} s" if seconds < 120 else f"about {math.ceil(seconds / 60)} min"


def server_wait(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait: Retry-After, else (on 429 with none left) the rate-limit window's reset.

    Bluesky sends `RateLimit-Reset` as epoch seconds, Mastodon `X-RateLimit-Reset` as an ISO 8601 time, others
    (the IETF draft, Reddit) seconds from now; none of them sends Retry-After.
    """
    headers = response.headers
    hinted = _seconds_until(headers.get("retry-after"))
    if hinted is not None or response.status_code != 429:
        return hinted
    remaining = headers.get("ratelimit-remaining", headers.get("x-ratelimit-remaining"))
    try:
        if remaining is not None and float(remaining) > 0:
            return None  # the window is not what refused us
    except ValueError:
        pass
    return _seconds_until(headers.get("ratelimit-reset", headers.get("x-ratelimit-reset")))


def _seconds_until(value: str | None) -> float | None:
    """Retry-After or a rate-limit reset in seconds from now: seconds (delay-seconds), epoch seconds (Bluesky's
    RateLimit-Reset), or an HTTP-date / ISO 8601 time (Retry-After's other form, Mastodon's X-RateLimit-Reset)."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return _until(value)
    if not math.isfinite(number):
        return None
    return max(0.0, number - time.time()) if number > 1_000_000_000 else max(0.0, number)


def _until(value: str) -> float | None:
    """Seconds from now until an HTTP-date or ISO 8601 time (naive means UTC); None when unreadable."""
    text = value.strip()
    try:
        when = datetime.fromisoformat(text) if text[:1].isdigit() else parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def make_client(timeout: float = 20.0, transport: httpx.BaseTransport | None = None,
                headers: dict[str, str] | None = None, **kw: Any) -> httpx.Client:
    """The default client: our User-Agent, sane timeouts, redirects followed, UTF-8 bodies read as UTF-8
    (utf8_as_sent). Tests pass a MockTransport."""
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), transport=transport, follow_redirects=True,
                        headers={"User-Agent": USER_AGENT, **(headers or {})},
                        event_hooks={"response": [utf8_as_sent]}, **kw)


def utf8_as_sent(response: httpx.Response) -> None:
    """Read a body that is valid UTF-8 as UTF-8 whatever charset its header names: JSON is UTF-8 only (RFC 8259),
    and a wrong `charset=` (a proxy's ISO-8859-1, a GBK default) turned every Chinese character into mojibake in
    the store and the raw archive. A body that is not UTF-8 keeps the header's charset."""
    declared = response.charset_encoding
    try:
        if declared is None or codecs.lookup(declared).name == "utf-8":
            return
    except LookupError:
        pass  # an unknown charset: httpx would fall back to UTF-8 anyway if the bytes are UTF-8
    response.read()
    try:
        response.content.decode("utf-8")
    except UnicodeDecodeError:
        return
    response.encoding = "utf-8"


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
    if isinstance(exc, RateLimited):
        return False
    return isinstance(exc, (TransientHTTPError, *NETWORK_ERRORS))


@dataclass
class RetryPolicy:
    attempts: int = 5
    initial: float = 2.0
    maximum: float = 120.0
    jitter: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def retrying(self, retry_on: Callable[[BaseException], bool] = _is_transient) -> Retrying:
        """Tenacity's loop for this policy; `retry_on` says which failures are worth another try (default: HTTP's)."""
        def wait(state: RetryCallState) -> float:
            base = wait_exponential_jitter(multiplier=self.initial, max=self.maximum, jitter=self.jitter)(state)
            exc = state.outcome.exception() if state.outcome else None
            hinted = getattr(exc, "retry_after", None)
            return max(base, min(hinted, self.maximum)) if hinted else base

        return Retrying(stop=stop_after_attempt(self.attempts), wait=wait, retry=retry_if_exception(retry_on),
                        sleep=self.sleep, reraise=True)


def polite_request(client: httpx.Client, method: str, url: str, *, limiter: RateLimiter | None = None,
                   policy: RetryPolicy | None = None, check: Callable[[httpx.Response], None] | None = None,
                   **kw: Any) -> httpx.Response:
    """One request with rate limiting and retries on 429/5xx/timeouts; other statuses are returned as-is.

    The server's own wait (Retry-After or a rate-limit reset) is honoured up to the policy's cap; a longer
    one raises RateLimited at once, naming when to resume.

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
                error = TransientHTTPError(response)
                if error.retry_after is not None and error.retry_after > policy.maximum:
                    raise RateLimited(response, error.retry_after)  # waiting the cap and retrying cannot succeed
                raise error
            if check:
                check(response)
            return response
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = [
    "NETWORK_ERRORS",
    "RETRY_STATUS",
    "USER_AGENT",
    "RateLimited",
    "RateLimiter",
    "RetryPolicy",
    "TransientHTTPError",
    "make_client",
    "polite_request",
    "server_wait",
    "utf8_as_sent",
]
