"""What the alerter remembers between runs (data_dir/state/alerts.json): cooldowns, sent keys, retries."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from collectors.paths import data_dir

HISTORY_LIMIT = 500
KEY_RETENTION = timedelta(days=180)


def state_path() -> Path:
    return data_dir() / "state" / "alerts.json"


@dataclass
class AlertState:
    last_fired: dict[str, str] = field(default_factory=dict)  # rule id -> ISO time
    fired: dict[str, str] = field(default_factory=dict)  # alert key -> ISO time (never alert twice on one thing)
    history: list[dict[str, Any]] = field(default_factory=list)  # recent alerts, newest last
    pending: list[dict[str, Any]] = field(default_factory=list)  # {"alert": …, "channels": […], "error": …}
    # alert key -> [first, last] day of the storm it was about, as far as runs since have seen it (ISO dates)
    spans: dict[str, list[str]] = field(default_factory=dict)

    def in_cooldown(self, rule_id: str, hours: float, now: datetime) -> bool:
        last = self.last_fired.get(rule_id)
        return last is not None and now - datetime.fromisoformat(last) < timedelta(hours=hours)

    def mark_fired(self, rule_id: str, key: str, alert: dict[str, Any], now: datetime) -> None:
        self.last_fired[rule_id] = now.isoformat()
        self.fired[key] = now.isoformat()
        self.history = [*self.history, alert][-HISTORY_LIMIT:]
        run = run_of(alert.get("metrics") or {})
        if run:
            self.spans[key] = list(run)

    def already_sent(self, rule_id: str, key: str, run: tuple[str, str] | None = None) -> bool:
        """Whether this alert, or one of the rule's about the same storm (its days overlap `run`), was sent; then the
        storm's remembered days grow to take in `run`. A storm is keyed by its first day, which moves earlier when
        days before it are collected late (a backfill), so the key alone would send it again."""
        if run is None:
            return key in self.fired
        for sent in [key] if key in self.fired else [k for k in self.fired if k.rpartition(":")[0] == rule_id]:
            span = self.spans.get(sent) or _day_of(sent) or (run if sent == key else None)
            if span and span[0] <= run[1] and run[0] <= span[1]:
                self.spans[sent] = [min(span[0], run[0]), max(span[1], run[1])]
                return True
        return key in self.fired

    def undelivered(self) -> dict[str, list[str]]:
        """Alert id -> the channels that have not taken it yet."""
        return {item["alert"].get("id"): list(item["channels"]) for item in self.pending if item.get("channels")}

    def history_of(self, tracker: str, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
        """The remembered alerts of `tracker` (about days from `start` to `end`, if given), oldest first, each with
        `undelivered`: the channels that have not taken it yet (retried on the next run)."""
        undelivered = self.undelivered()
        low, high = (start or date.min).isoformat(), (end or date.max).isoformat()
        return [{**a, "undelivered": undelivered.get(a.get("id"), [])} for a in self.history
                if a.get("tracker") == tracker and low <= a.get("day", "") <= high]

    def prune(self, now: datetime) -> None:
        self.fired = {k: v for k, v in self.fired.items() if now - datetime.fromisoformat(v) < KEY_RETENTION}
        self.spans = {k: v for k, v in self.spans.items() if k in self.fired}


def run_of(metrics: dict[str, Any]) -> tuple[str, str] | None:
    """The first and last day (ISO) of the storm an alert's metrics are about; None for a statement's."""
    first, last = metrics.get("run_start"), metrics.get("run_end")
    return (str(first), str(last)) if first and last else None


def _day_of(key: str) -> tuple[str, str] | None:
    """The one day a storm's key names (`rule:first day`), for keys remembered before their storm's days were; None
    for a statement's."""
    day = key.rpartition(":")[2]
    try:
        return (date.fromisoformat(day).isoformat(),) * 2
    except ValueError:
        return None


def load_state(path: Path | None = None) -> AlertState:
    path = path or state_path()
    if not path.exists():
        return AlertState()
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: alert state is unreadable ({exc}); move it aside to start afresh") from None
    return AlertState(**{k: body.get(k, v) for k, v in vars(AlertState()).items()})


def save_state(state: AlertState, path: Path | None = None) -> Path:
    """Write atomically (a killed run leaves the previous state intact)."""
    path = path or state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    tmp.write_text(json.dumps(vars(state), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path
