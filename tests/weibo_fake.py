"""A fake m.weibo.cn for tests: deterministic, fictional search results per (term, time window), long-text
detail pages, and optional fault injection. Served through httpx.MockTransport or a 127.0.0.1 HTTP server.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit

import httpx

BEIJING = timezone(timedelta(hours=8))
FAULTS = ("429", "432", "500", "timeout", "truncated", "captcha")
PAGE_SIZE = 10


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _mid(*parts: object) -> str:
    digest = int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest(), 16)
    return str(5_300_000_000_000_000 + digest % 99_999_999_999_999)


@dataclass
class FakeWeibo:
    """Search results: `posts_per_window` fictional posts per (term, window) in pages of 10, then `ok:0`."""

    posts_per_window: int = 23
    fault_rate: float = 0.0
    seed: int = 7
    timeout_delay: float = 1.0
    delay: float = 0.0
    echo_cookie: bool = False
    faults: Counter = field(default_factory=Counter)
    requests: Counter = field(default_factory=Counter)
    cookies_seen: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    # ---- content
    def window_posts(self, term: str, scope: str) -> list[dict]:
        start, end = _scope_bounds(scope)
        span = (end - start).total_seconds()
        posts = []
        for n in range(self.posts_per_window):
            mid = _mid(term, scope, n)
            created = start + timedelta(seconds=span * (n + 0.5) / self.posts_per_window)
            post = {
                "id": mid, "mid": mid, "created_at": created.astimezone(BEIJING).strftime("%a %b %d %H:%M:%S +0800 %Y"),
                "text": f"虚构帖子 {term} #{n}<span class=\"url-icon\"><img alt=\"[哈哈]\" src=\"x.png\" /></span>",
                "reposts_count": n, "comments_count": f"{n}", "attitudes_count": f"{n}.5万" if n % 4 == 0 else n,
                "isLongText": n % 7 == 3, "region_name": "发布于 北京",
                "user": {"id": 1_000_000_000 + n, "screen_name": f"虚构用户{n}", "followers_count": "1.2万",
                         "verified": False, "verified_type": -1},
            }
            if n % 5 == 4:
                original = _mid(term, "orig", n)
                post["retweeted_status"] = {
                    "id": original, "mid": original, "created_at": "Sun Apr 19 09:00:00 +0800 2026",
                    "text": f"虚构原帖 {term} #{n}", "user": {"id": 1_000_000_999, "screen_name": "虚构原作者"}}
            posts.append(post)
        return posts

    def search(self, params: dict[str, str]) -> Reply:
        container = parse_qs(params.get("containerid", ""))
        term = container.get("q", [""])[0]
        scope = container.get("timescope", ["custom:2026-04-20-0:2026-04-21-0"])[0]
        page = int(params.get("page", "1"))
        posts = self.window_posts(term, scope)[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        if not posts:
            return _json({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
        cards = [{"card_type": 9, "mblog": p} for p in posts]
        body = {"ok": 1, "data": {"cardlistInfo": {"page": page + 1, "total": self.posts_per_window}, "cards": cards}}
        if self.echo_cookie:
            body["debug"] = params.get("_cookie", "")
        return _json(body)

    def detail(self, mid: str) -> Reply:
        status = {"id": mid, "mid": mid, "created_at": "Mon Apr 20 12:00:00 +0800 2026", "text": f"长文全文 {mid}",
                  "user": {"id": 1}}
        html = f"<html><script>var $render_data = [{json.dumps({'status': status})}][0] || {{}};</script></html>"
        return Reply(200, html.encode(), {"content-type": "text/html; charset=utf-8"})

    # ---- routing + faults
    def handle(self, method: str, path: str, query: str, cookie: str = "") -> Reply:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        with self._lock:
            self.requests[path] += 1
            if cookie:
                self.cookies_seen.add(cookie)
            fault = self._rng.choice(FAULTS) if self._rng.random() < self.fault_rate else None
            if fault:
                self.faults[fault] += 1
        if path.startswith("/detail/"):
            reply = self.detail(path.rsplit("/", 1)[-1])
        elif path == "/api/container/getIndex":
            params["_cookie"] = cookie
            reply = self.search(params)
        else:
            reply = Reply(404, b"not found")
        reply.delay = self.delay
        return _apply_fault(fault, reply, self.timeout_delay) if fault else reply


def _apply_fault(fault: str, reply: Reply, timeout_delay: float) -> Reply:
    if fault == "429":
        return Reply(429, b"Too Many Requests", {"retry-after": "0"})
    if fault == "432":
        return Reply(432, b"<html><head><title>432</title></head><body>432</body></html>", {"content-type": "text/html"})
    if fault == "500":
        return Reply(500, b"<html>502 Bad Gateway</html>")
    if fault == "timeout":
        return Reply(reply.status, reply.body, reply.headers, delay=timeout_delay)
    if fault == "truncated":
        return Reply(reply.status, reply.body[: max(1, len(reply.body) // 2)], reply.headers)
    return _json({"ok": -100, "errno": "-100", "msg": "", "url": "https://m.weibo.cn/captcha?scene=limit&referer=/",
                  "extra": ""})


def _json(obj: object) -> Reply:
    return Reply(200, json.dumps(obj, ensure_ascii=False).encode(), {"content-type": "application/json; charset=utf-8"})


def _scope_bounds(scope: str) -> tuple[datetime, datetime]:
    _, a, b = scope.split(":")
    parse = lambda s: datetime.strptime(s, "%Y-%m-%d-%H").replace(tzinfo=BEIJING)
    return parse(a), parse(b)


def mock_transport(fake: FakeWeibo) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        reply = fake.handle(request.method, request.url.path, request.url.query.decode(), request.headers.get("cookie", ""))
        if reply.delay >= fake.timeout_delay:
            raise httpx.ReadTimeout("injected timeout", request=request)
        return httpx.Response(reply.status, content=reply.body, headers=reply.headers)

    return httpx.MockTransport(handler)


class LoopbackServer:
    """The fake on 127.0.0.1 at a random port, served from a daemon thread (use as a context manager)."""

    def __init__(self, fake: FakeWeibo) -> None:
        fake_ref = fake

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                reply = fake_ref.handle("GET", parts.path, parts.query, self.headers.get("Cookie", ""))
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
