"""Weibo's notices standing in for a post that is gone: what they say happened, and whether a status is one.

A tombstone status has `deleted: "1"`, `state` 7 (deleted by author) / 8 (removed after complaints), or no author and
the reason as its text ("抱歉，此微博已被作者删除。查看帮助：…"). Collectors must not store one as a post; the
recheck (weibo_recheck) reads it as the post's fate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.base import ParseError
from collectors.parsing import html_to_text

# Weibo's messages, most specific first: the generic "不存在或暂无查看权限" must win over "暂无查看权限",
# an account's suspension notice (which cites 《微博社区公约》) over a post's removal.
MESSAGE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unavailable", ("微博不存在或暂无查看权限", "该微博不存在")),
    ("account_gone", ("用户不存在", "该账号因被投诉", "该账号已被封", "账号已注销", "该用户已注销", "账号已被冻结",
                      "该账号已冻结", "账号已被注销", "该账号行为异常")),
    ("deleted_by_author", ("此微博已被作者删除", "该微博已被作者删除", "已被作者删除")),
    ("removed", ("该微博已被删除", "该内容已被删除", "已被删除", "不予显示", "根据相关法律法规", "微博社区公约",
                 "被多人投诉", "内容违规")),
    ("restricted", ("由于作者设置", "由于博主设置", "根据博主设置", "作者已设置", "暂时没有这条微博的查看权限",
                    "暂无查看权限", "仅自己可见", "仅粉丝可见", "仅好友圈可见", "此微博已不可见", "没有查看权限",
                    "内容暂不可见")),
)
STATE_STATUS = {7: "deleted_by_author", 8: "removed"}


def classify_message(message: str) -> str | None:
    """The status a Weibo message names, or None when it names none we know."""
    for status, phrases in MESSAGE_RULES:
        if any(phrase in message for phrase in phrases):
            return status
    return None


def plain(value: Any) -> str:
    """Text of a message or status that may hold HTML; '' when it is not a string or does not parse."""
    if not isinstance(value, str):
        return ""
    try:
        return html_to_text(value)
    except ParseError:
        return value


def is_deleted_flag(value: Any) -> bool:
    return value is True or value in (1, "1", "true")


def is_tombstone(status: Mapping[str, Any]) -> bool:
    """Whether a status is Weibo's stand-in for a gone post: flagged deleted, in a tombstone state, or without an
    author and with a notice as its text (a status without its author is not enough: `trim_user` leaves it out)."""
    if is_deleted_flag(status.get("deleted")) or status.get("state") in STATE_STATUS:
        return True
    user = status.get("user")
    if isinstance(user, Mapping) and any(user.get(key) not in (None, "") for key in ("id", "idstr", "screen_name")):
        return False
    return classify_message(plain(status.get("text") or status.get("text_raw") or "")) is not None
