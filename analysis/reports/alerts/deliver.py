"""Delivery channels: a webhook (JSON POST), email (SMTP) and an Atom feed file. Secrets come from
collectors.secrets and never appear in a payload, a log line or an error message."""

from __future__ import annotations

import json
import os
import re
import smtplib
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

import httpx

from analysis.reports.alerts.config import EmailChannel, RssChannel, WebhookChannel
from collectors.http import RateLimited, RetryPolicy, TransientHTTPError, make_client, polite_request
from collectors.secrets import MissingSecret, get_secret, redact_text

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


class DeliveryError(RuntimeError):
    """A channel could not take an alert; the message is already free of secrets."""


def alert_text(alert: dict[str, Any]) -> str:
    """Plain-text body: the summary, the chart link and the evidence."""
    lines = [alert["summary"], "", f"Chart: {alert['link']}"]
    evidence = alert.get("evidence") or {}
    if evidence.get("top_terms"):
        lines.append("Top terms: " + ", ".join(evidence["top_terms"]))
    for rec in evidence.get("top_records") or []:
        lines.append(f"- [{rec['source']}] {rec['author'] or '(unknown)'}: {rec['text']} ({rec['url'] or 'no link'};"
                     f" shares {rec['shares']}, likes {rec['likes']})")
    if evidence.get("statement"):
        st = evidence["statement"]
        lines.append(f"Source: {st['source_name']} {st['source_url']} ({st['date']})")
    if evidence.get("note"):
        lines += ["", evidence["note"]]
    lines += ["", "Sent by actorwatch. Associations in the data are not evidence of cause."]
    return "\n".join(lines)


# a chat service's brief 502 or 429 is retried within the run (the alert is not an hour late); waits stay short, as a
# scheduled run should not hang, and whatever still fails is kept for the next run
WEBHOOK_RETRY = RetryPolicy(attempts=3, initial=1.0, maximum=30.0, jitter=1.0)


def send_webhook(alert: dict[str, Any], channel: WebhookChannel, client: httpx.Client | None = None,
                 policy: RetryPolicy | None = None) -> None:
    """POST the alert as JSON, retrying 429/5xx and timeouts; `Idempotency-Key` (the alert id) lets a receiver
    drop a copy a retry sends after a timed-out attempt that had in fact arrived."""
    url = webhook_url(channel)
    token = get_secret(channel.token_secret)
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(alert.get("id", ""))}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    own = client is None
    client = client or make_client(timeout=channel.timeout_seconds)
    where = endpoint(url)
    policy = policy or WEBHOOK_RETRY
    try:
        response = polite_request(client, "POST", url, policy=policy,
                                  content=json.dumps(webhook_body(alert, channel.format), ensure_ascii=False).encode(),
                                  headers=headers)
    except RateLimited as exc:
        raise DeliveryError(f"webhook {where}: HTTP {exc.response.status_code}, rate limited for "
                            f"{exc.retry_after:.0f} s") from None
    except TransientHTTPError as exc:
        raise DeliveryError(f"webhook {where}: HTTP {exc.response.status_code} ({policy.attempts} attempts)") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(redact_text(f"webhook {where}: {type(exc).__name__}: {exc} ({policy.attempts} attempts)",
                                        [url])) from None
    finally:
        if own:
            client.close()
    if response.status_code >= 300:
        raise DeliveryError(f"webhook {where}: HTTP {response.status_code}")


def webhook_body(alert: dict[str, Any], fmt: str = "json") -> dict[str, Any]:
    """What a webhook of format `fmt` is sent: the alert itself, or a chat service's text message of alert_text, in
    which a post's text cannot mention everyone (Slack's <!channel>, Feishu's <at user_id="all">) or disguise a link."""
    if fmt == "json":
        return alert
    text = f"{alert['title']}\n\n{alert_text(alert)}"  # a chat message has no subject line: the title leads
    if fmt == "slack":  # Slack's own escapes: it reads <…> as mentions and links, & as the start of one
        return {"text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    if fmt == "feishu":  # Feishu reads <at …> tags in a text message as mentions; it has no escape for "<"
        return {"msg_type": "text", "content": {"text": text.replace("<", "\uff1c").replace(">", "\uff1e")}}
    return {"msgtype": "text", "text": {"content": text}}  # DingTalk mentions only whom its "at" field names


def webhook_url(channel: WebhookChannel) -> str:
    """The channel's URL: as written in the alerts file, or read from its `url_secret` (never shown)."""
    if channel.url:
        return channel.url
    try:
        url = get_secret(channel.url_secret or "", required=True) or ""
    except MissingSecret as exc:
        raise DeliveryError(f"webhook: {exc}") from None
    if not re.match(r"^https?://", url):
        raise DeliveryError(f"webhook: the secret {channel.url_secret} is not an http(s):// URL")
    return url


def endpoint(url: str) -> str:
    """A webhook URL as messages name it: scheme and host only. Chat services' incoming-webhook URLs (Slack's
    /services/…/…, Feishu's /hook/…, DingTalk's ?access_token=) carry the secret in the path or query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" + ("/…" if parts.path.strip("/") or parts.query else "")


EMAIL_RETRY = WEBHOOK_RETRY  # a mail server's 4xx reply or dropped connection: the same short retries


def _smtp_transient(exc: BaseException) -> bool:
    """A reply or failure worth another try: a 4xx (greylisting, "try again later"), a dropped or refused connection,
    a timeout; a 5xx or a refused login is not."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | TimeoutError | ConnectionError)


def send_email(alert: dict[str, Any], channel: EmailChannel, policy: RetryPolicy | None = None) -> None:
    message = EmailMessage()
    # one line: a header refuses a line break (a curated name can hold one), and the run would stop on it for good
    message["Subject"] = " ".join(f"[actorwatch] {alert['title']}".split())
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message["X-Actorwatch-Alert"] = alert["id"]
    message["Date"] = formatdate(localtime=False)  # smtplib adds no Date (RFC 5322 requires one) nor Message-ID
    message["Message-ID"] = make_msgid(domain=channel.sender.rpartition("@")[2] or None)
    message.set_content(alert_text(alert))
    message.add_attachment(json.dumps(alert, ensure_ascii=False, indent=1).encode(), maintype="application",
                           subtype="json", filename=f"alert-{alert['id']}.json")
    try:
        password = get_secret(channel.password_secret, required=True) if channel.user else None
    except MissingSecret as exc:
        raise DeliveryError(f"email via {channel.host}: {exc}") from None
    policy = policy or EMAIL_RETRY
    try:
        for attempt in policy.retrying(_smtp_transient):
            with attempt, smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds) as smtp:
                if channel.starttls:
                    smtp.starttls()
                if channel.user:
                    smtp.login(channel.user, password or "")
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(redact_text(f"email via {channel.host}:{channel.port}: {type(exc).__name__}: {exc}")) from None


def append_to_feed(alerts: list[dict[str, Any]], channel: RssChannel, title: str = "actorwatch alerts") -> None:
    """Add entries to the Atom file (newest first, at most `max_entries`), written atomically."""
    path = channel.resolved()
    entries: list[ET.Element] = []
    if path.exists():
        try:
            entries = ET.parse(path).getroot().findall(f"{{{ATOM}}}entry")
        except ET.ParseError as exc:
            raise DeliveryError(f"{path}: existing feed is not valid XML ({exc}); move it aside") from None
    known = {e.findtext(f"{{{ATOM}}}id") for e in entries}
    fresh = [_entry(a) for a in alerts if f"urn:actorwatch:alert:{a['id']}" not in known]
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "urn:actorwatch:alerts"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = datetime.now(UTC).isoformat(timespec="seconds")
    feed.extend([*reversed(fresh), *entries][: channel.max_entries])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    ET.ElementTree(feed).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)


# characters XML 1.0 does not allow (a post's text may hold them): ElementTree writes them as they are, and the file
# no longer parses
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _entry(alert: dict[str, Any]) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry")
    ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:actorwatch:alert:{alert['id']}"
    ET.SubElement(entry, f"{{{ATOM}}}title").text = _xml_text(alert["title"])
    ET.SubElement(entry, f"{{{ATOM}}}updated").text = alert["created_at"]
    ET.SubElement(entry, f"{{{ATOM}}}link", href=alert["link"])
    author = ET.SubElement(entry, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "actorwatch"
    ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = _xml_text(alert_text(alert))
    return entry
