"""Secrets (cookies, tokens) come from the environment or a secrets file, and are scrubbed from everything we write."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

from collectors.paths import data_dir

SECRET_ENV = {
    "weibo_cookie": "ACTORWATCH_WEIBO_COOKIE",
    "bilibili_cookie": "ACTORWATCH_BILIBILI_COOKIE",
    "bluesky_handle": "ACTORWATCH_BLUESKY_HANDLE",
    "bluesky_app_password": "ACTORWATCH_BLUESKY_APP_PASSWORD",
    "mastodon_token": "ACTORWATCH_MASTODON_TOKEN",
    "smtp_password": "ACTORWATCH_SMTP_PASSWORD",
    "webhook_token": "ACTORWATCH_WEBHOOK_TOKEN",
    "stooq_apikey": "ACTORWATCH_STOOQ_APIKEY",
    "llm_api_key": "ACTORWATCH_LLM_API_KEY",
}
SENSITIVE_HEADERS = {"cookie", "set-cookie", "authorization", "x-csrf-token", "proxy-authorization"}
# A parameter named like a credential, also with a prefix (refresh_token, csrf_token, x-api-key, access_key,
# X-Amz-Signature, X-Goog-Credential, Weibo video's ssig, Bilibili's upsig), or one of the bare names that carry one
# (key=, sig=, auth=, a cookie's). Its value ends where an address ends: at &, white space, a quote or bracket, a
# backslash (a JSON body's \u0026 or \/), # or ; so a page archived as JSON stays JSON. The name stays, so an address
# still says what it held; a signed CDN link so redacted no longer opens (docs/collecting-other.md). One rule for text,
# url fields and the store's public view (SENSITIVE_PARAMS_SQL, the same expression for DuckDB's RE2).
_CREDENTIAL_SUFFIXES = ("token", "password", "passwd", "secret", "apikey", "api_key", "api-key", "access_key",
                        "auth_key", "authkey", "signature", "credential", "sig")
_CREDENTIAL_NAMES = ("key", "auth", "cookie", "sessdata", "sub", "w_rid", "bili_jct")
_CREDENTIAL_NAME = (r"[a-z0-9_-]*(?:" + "|".join(_CREDENTIAL_SUFFIXES) + ")|" + "|".join(_CREDENTIAL_NAMES))
SENSITIVE_PARAMS_PATTERN = rf"""(?i)\b({_CREDENTIAL_NAME})=([^&\s"'<>()\[\]\\#;]+)"""
SENSITIVE_PARAMS = re.compile(SENSITIVE_PARAMS_PATTERN)
# a password written into an address (https://user:password@host/…, a feed behind basic auth): the whole user part
USERINFO_PATTERN = r"""(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@:"'<>]+:[^/\s@"'<>]+@"""
USERINFO = re.compile(USERINFO_PATTERN)
SENSITIVE_PARAMS_SQL = SENSITIVE_PARAMS_PATTERN.replace("'", "''")  # inside a SQL string literal
USERINFO_SQL = USERINFO_PATTERN.replace("'", "''")
REDACTED = "[REDACTED]"


class MissingSecret(RuntimeError):
    """A source needs a secret that is not configured; the message says where to put it."""


def secrets_file() -> Path:
    """`<data_dir>/.secrets/secrets.toml` (keys as in SECRET_ENV), or $ACTORWATCH_SECRETS_FILE."""
    return Path(os.environ.get("ACTORWATCH_SECRETS_FILE") or data_dir() / ".secrets" / "secrets.toml")


def owners_only(path: Path) -> None:
    """Narrow a file of secrets to its owner: one saved by an editor, restored from a backup or copied in has the
    umask's mode, usually readable by every local user."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        with suppress(OSError):  # another user's file, or a read-only mount: not ours to change, read as it is
            path.chmod(mode & 0o700)


@lru_cache(maxsize=4)
def _file_secrets(path: str, _mtime: int) -> dict[str, str]:
    try:
        owners_only(Path(path))
        return {k: str(v) for k, v in tomllib.loads(Path(path).read_text(encoding="utf-8")).items()}
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def get_secret(name: str, required: bool = False) -> str | None:
    """A secret by name: environment variable first, then the secrets file."""
    env = SECRET_ENV.get(name, f"ACTORWATCH_{name.upper()}")
    value = os.environ.get(env)
    if not value:
        path = secrets_file()
        mtime = path.stat().st_mtime_ns if path.exists() else 0
        value = _file_secrets(str(path), mtime).get(name)
    value = _one_line(value) if value else value
    if required and not value:
        problem = _unreadable(secrets_file())
        raise MissingSecret(f"{name} is not set: export {env}=… or add `{name} = \"…\"` to {secrets_file()}"
                            + (f" ({secrets_file()} could not be read: {problem})" if problem else ""))
    return value or None


def _unreadable(path: Path) -> str | None:
    """Why an existing secrets file yields nothing (its TOML error says where, never what), else None."""
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as exc:
        return f"not valid TOML: {exc}"
    except (OSError, UnicodeDecodeError) as exc:
        return type(exc).__name__ + (f": {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else "")
    return None


def _one_line(value: str) -> str:
    """A pasted value without surrounding white space or the line breaks an editor wrapped it at (a header value
    with a line break is refused by httpx, whose error quotes the whole value)."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    return "".join(line if not n or not lines[n - 1].endswith(";") else " " + line for n, line in enumerate(lines))


def known_secret_values() -> list[str]:
    """Every configured secret, longest first, and each long value inside a cookie: a page that echoes one cookie
    (a session token in a login page's script, a CSRF token in its config) holds it without the rest of the header."""
    values = [v for v in (get_secret(n) for n in SECRET_ENV) if v and len(v) >= 4]
    parts = [part.partition("=")[2].strip() for name, value in zip(SECRET_ENV, (get_secret(n) for n in SECRET_ENV),
                                                                   strict=True)
             if name.endswith("_cookie") and value for part in value.split(";")]
    values += [p for p in parts if len(p) >= MIN_COOKIE_PART and not p.isdigit()]
    return sorted(set(values), key=len, reverse=True)  # a whole cookie before the parts it contains


MIN_COOKIE_PART = 12  # shorter cookie values (a language, a timestamp's digits aside) are not credentials


def redact_text(text: str, extra: list[str] | None = None) -> str:
    """Remove every configured secret value and secret-looking query parameter from a string."""
    for value in [*known_secret_values(), *(extra or [])]:
        if value:
            text = text.replace(value, REDACTED)
    return redact_params(text)


def redact_params(text: str) -> str:
    """`text` with the value of every credential-named parameter (SENSITIVE_PARAMS) and the user part of an address
    holding a password (USERINFO) replaced by REDACTED."""
    if "=" in text:
        text = SENSITIVE_PARAMS.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text) if "@" in text else text


def is_credential_param(name: str) -> bool:
    """Whether a query parameter of this name holds a credential (its value is redacted wherever it is kept)."""
    return re.fullmatch(_CREDENTIAL_NAME, name, re.IGNORECASE) is not None


def redact_url(url: str | None) -> str | None:
    """An address as kept in a record (url, an id made of one): its credential parameters redacted, the rest as is.
    Only the parameter rule: an address holds no configured secret that is not also a parameter's value."""
    return redact_params(url) if url else url


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else redact_text(v)) for k, v in headers.items()}


def redact(obj: Any) -> Any:
    """Redact secrets inside nested dicts/lists/strings (for raw-archive metadata, logs, exports)."""
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, Mapping):
        return {k: (REDACTED if str(k).lower() in SENSITIVE_HEADERS else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    return obj
