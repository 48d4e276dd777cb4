"""Alert rules and channels from a TOML file (data/alerts.toml), validated with errors that name the field.

Secrets are never in this file: the webhook token is the secret `webhook_token` and the SMTP password
`smtp_password` (env ACTORWATCH_WEBHOOK_TOKEN / ACTORWATCH_SMTP_PASSWORD, or the secrets file); a webhook URL that is
itself a secret (a chat service's) is named by `url_secret` instead of given as `url`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analysis.reports.links import configured_base_url
from collectors.paths import bundled_dir, data_dir
from collectors.tomlfile import load_toml, validation_problems

Sensitivity = Literal["fewer", "balanced", "more"]
RuleKind = Literal["volume_spike", "negative_jump", "new_statement"]
ChannelName = Literal["webhook", "email", "rss"]
WebhookFormat = Literal["json", "slack", "feishu", "dingtalk"]

# robust z-score a day must reach, per sensitivity ("more" alerts fire more often). Not a p-value: with nothing
# happening, "balanced" flags under 1 day in 100 of Poisson-like counts but 3-5 in 100 of counts spread wider from day
# to day (negative binomial, size 5), as data/alerts.toml says (measured in tests/test_peaks.py)
THRESHOLDS: dict[str, float] = {"fewer": 5.0, "balanced": 3.5, "more": 2.5}


class AlertConfigError(ValueError):
    """The alerts file is missing or invalid; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Defaults(_Strict):
    sensitivity: Sensitivity = "balanced"
    cooldown_hours: float = Field(default=24, ge=0)
    lookback_days: int = Field(default=2, ge=1, le=30)
    channels: list[ChannelName] = Field(default_factory=lambda: ["rss"])


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    tracker: str
    kind: RuleKind
    entity: str | None = None
    sensitivity: Sensitivity | None = None
    cooldown_hours: float | None = Field(default=None, ge=0)
    lookback_days: int | None = Field(default=None, ge=1, le=30)
    channels: list[ChannelName] | None = None
    min_records: int = Field(default=10, ge=1, description="least records (or scored records) on the day")


class WebhookChannel(_Strict):
    url: str | None = Field(default=None, pattern=r"^https?://")
    # chat services' incoming-webhook URLs (Slack's /services/…, Feishu's /hook/…, DingTalk's ?access_token=) are
    # themselves the secret: such a URL is read from this secret (env or secrets file), not written in this file
    url_secret: str | None = None
    token_secret: str = "webhook_token"
    timeout_seconds: float = Field(default=10, gt=0)
    # what is posted: the alert as JSON, or a chat service's text message (which refuses anything else)
    format: WebhookFormat = "json"

    @model_validator(mode="after")
    def _one_url(self) -> WebhookChannel:
        if (self.url is None) == (self.url_secret is None):
            raise ValueError("give url, or url_secret naming the secret that holds the URL (one of the two)")
        return self


class EmailChannel(_Strict):
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    user: str | None = None
    password_secret: str = "smtp_password"
    sender: str
    to: list[str] = Field(min_length=1)
    timeout_seconds: float = Field(default=10, gt=0)


class RssChannel(_Strict):
    path: str = "alerts.xml"
    max_entries: int = Field(default=100, ge=1)

    def resolved(self) -> Path:
        """The feed path; relative paths are under the data dir."""
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else data_dir() / path


class Channels(_Strict):
    webhook: WebhookChannel | None = None
    email: EmailChannel | None = None
    rss: RssChannel | None = None


class EffectiveRule(_Strict):
    """A rule with the defaults applied."""

    id: str
    tracker: str
    kind: RuleKind
    entity: str | None
    sensitivity: Sensitivity
    cooldown_hours: float
    lookback_days: int
    channels: list[ChannelName]
    min_records: int

    @property
    def threshold(self) -> float:
        return THRESHOLDS[self.sensitivity]


class AlertConfig(_Strict):
    schema_version: Literal[1]
    dashboard_url: str = Field(default_factory=configured_base_url)  # $ACTORWATCH_PUBLIC_URL or localhost
    defaults: Defaults = Field(default_factory=Defaults)
    channels: Channels = Field(default_factory=Channels)
    rule: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> AlertConfig:
        ids = [r.id for r in self.rule]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule: duplicate id(s) {dupes}")
        for rule in self.effective_rules():
            for channel in rule.channels:
                if getattr(self.channels, channel) is None:
                    raise ValueError(f"rule {rule.id}: channel {channel!r} is not configured under [channels.{channel}]")
        return self

    def effective_rules(self) -> list[EffectiveRule]:
        d = self.defaults
        return [EffectiveRule(id=r.id, tracker=r.tracker, kind=r.kind, entity=r.entity,
                              sensitivity=r.sensitivity or d.sensitivity,
                              cooldown_hours=d.cooldown_hours if r.cooldown_hours is None else r.cooldown_hours,
                              lookback_days=r.lookback_days or d.lookback_days,
                              channels=list(r.channels if r.channels is not None else d.channels),
                              min_records=r.min_records)
                for r in self.rule]


def default_config_path() -> Path:
    """data_dir/alerts.toml if the user has one, else the shipped example."""
    user = data_dir() / "alerts.toml"
    return user if user.exists() else bundled_dir() / "alerts.toml"


def load_config(path: str | Path | None = None) -> AlertConfig:
    """Read and validate an alerts file; raises AlertConfigError naming the file and field."""
    path = Path(path) if path else default_config_path()
    raw = load_toml(path, "alerts file", AlertConfigError, missing_hint="copy data/alerts.toml and edit it")
    try:
        return AlertConfig.model_validate(raw)
    except ValidationError as exc:
        raise AlertConfigError(f"{path}: {validation_problems(exc, 'file')}") from None
