"""Test plumbing for the non-Weibo collectors: fixture loading and a scripted httpx.MockTransport."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from collectors.base import Collector
from collectors.http import RetryPolicy, make_client

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COLLECTED = datetime(2026, 4, 25, 12, 0, tzinfo=UTC)

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> Any:
    return json.loads(fixture_text(name))


def respond(status: int = 200, body: str | bytes | Any = "", headers: dict[str, str] | None = None,
            content_type: str | None = None) -> httpx.Response:
    if not isinstance(body, str | bytes):
        body = json.dumps(body, ensure_ascii=False)
        content_type = content_type or "application/json"
    hdrs = {"content-type": content_type or "text/plain; charset=utf-8", **(headers or {})}
    return httpx.Response(status, content=body.encode() if isinstance(body, str) else body, headers=hdrs)


@dataclass
class Script:
    """Replies per URL path, served in order (the last one repeats); every request is recorded."""

    routes: dict[str, list[Reply]]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.routes.get(request.url.path)
        if not replies:
            return respond(404, f"no scripted reply for {request.url.path}")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(request) if callable(reply) else reply

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def params(self, path: str) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests if r.url.path == path]


def client_for(script: Script) -> httpx.Client:
    return make_client(transport=httpx.MockTransport(script))


def make(cls: type[Collector], script: Script, sleeps: list[float] | None = None, **kw: Any) -> Collector:
    """A collector on the scripted transport, with sleeps recorded instead of slept."""
    record = sleeps.append if sleeps is not None else (lambda _s: None)
    policy = RetryPolicy(attempts=3, initial=0.01, maximum=0.05, jitter=0.0, sleep=record)
    return cls(client_for(script), sleep=record, policy=policy, **kw)


def archived_text(root: Path) -> str:
    """Everything in the gzip raw archives under `root`, as text (for leak checks)."""
    parts = []
    for path in sorted(root.rglob("*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            parts.append(fh.read())
    return "".join(parts)
