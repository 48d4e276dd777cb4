"""Reading the project's TOML files (trackers, alert rules) with errors that name the file and the field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError


def load_toml(path: Path, what: str, error: type[ValueError] = ValueError, missing_hint: str = "") -> dict[str, Any]:
    """The file's tables; raises `error` naming the file when it is missing, not UTF-8 or not valid TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found" + (f" ({missing_hint})" if missing_hint else "")) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def validation_problems(exc: ValidationError, whole: str, limit: int = 5) -> str:
    """pydantic's first `limit` errors as `field.path: message; …` (`whole` when the error is about the whole table)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or whole}: {e['msg'].removeprefix('Value error, ')}"
                     for e in exc.errors()[:limit])  # the prefix pydantic puts before a validator's own message
