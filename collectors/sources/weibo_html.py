"""Pure parsing of the old weibo.cn HTML pages (user timeline, comment list) with lxml.

Each page item becomes a dict shaped like the JSON APIs' `mblog` / comment, so one mapping
(weibo_parse.mblog_to_record / comment_to_record) serves every Weibo shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from collectors.base import ParseError, SourceBlocked
from collectors.sources.weibo_parse import bid_to_mid, html_to_text, is_numeric_id, typed_errors

_COUNT = {"attitudes_count": re.compile(r"赞\[(\d+)\]"), "reposts_count": re.compile(r"(?<!原文)转发\[(\d+)\]"),
          "comments_count": re.compile(r"(?<!原文)评论\[(\d+)\]")}
_LIKE = re.compile(r"赞\[(\d+)\]")
_REASON_END = re.compile(r"\s*赞\[\d+\].*$", re.DOTALL)
_USER_HREF = re.compile(r"(?:weibo\.cn)?/(?:u/)?(\d{5,})(?:[/?]|$)")
_BID_HREF = re.compile(r"/comment/([0-9A-Za-z]{6,12})")

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
LOGIN_MARKERS = ("passport.weibo.cn/signin", "login.sina.com.cn", "<title>登录 - 新浪微博</title>", "<title>微博</title><!--login")
ABNORMAL_MARKERS = ("您的帐号存在异常", "帐号异常", "访问受限")


@dataclass
class HtmlPage:
    items: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 1  # total pages announced by the page's pager (input name=mp), 1 when none


def raise_if_login_page(page: str) -> None:
    """A weibo.cn page served as 200 can still be the login form or an account-restriction notice."""
    if any(marker in page for marker in LOGIN_MARKERS):
        raise SourceBlocked("weibo.cn served its login page: the cookie is missing or has expired",
                            "Log in to weibo.cn (not weibo.com) in a browser, copy its Cookie header into "
                            "ACTORWATCH_WEIBO_COOKIE, then re-run the same command with --resume.")
    if any(marker in page for marker in ABNORMAL_MARKERS):
        raise SourceBlocked("weibo.cn says the account is restricted (异常/访问受限)",
                            "Unlock the account in a browser, wait, then re-run the same command with --resume.")


def _document(page: str) -> Any:
    if not isinstance(page, str) or not page.strip():
        raise ParseError("weibo.cn page: empty")
    try:
        cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", _XML_DECLARATION.sub("", page, count=1))
        return lxml_html.document_fromstring(cleaned)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"weibo.cn page: unparseable HTML ({exc})") from None


def _pages(doc: Any) -> int:
    values = doc.xpath('//input[@name="mp"]/@value')
    return int(values[0]) if values and is_numeric_id(str(values[0])) else 1


def _outer(node: Any) -> str:
    return etree.tostring(node, encoding="unicode", with_tail=False)


def _time_text(node: Any) -> tuple[str, str]:
    """span.ct "今天 09:21 来自iPhone客户端" → ("今天 09:21", "来自iPhone客户端")."""
    text = " ".join((node.text_content() if node is not None else "").replace("\xa0", " ").split())
    when, sep, rest = text.partition("来自")
    return when.strip(), (sep + rest).strip()


@typed_errors
def timeline_page(page: str, user_id: str | None = None) -> HtmlPage:
    """A user's weibo.cn/{uid}/profile page → mblog-like dicts (reposts carry `parent_mid`)."""
    doc = _document(page)
    title = (doc.findtext(".//title") or "").strip()
    screen_name = title[:-3] if title.endswith("的微博") else None
    out = HtmlPage(pages=_pages(doc))
    for div in doc.xpath('//div[@class="c"][starts-with(@id, "M_")]'):
        bid = div.get("id")[2:]
        ct = (div.xpath('.//span[@class="ct"]') or [None])[0]
        when, _client = _time_text(ct)
        counts_div = ct.getparent() if ct is not None else div
        counts_text = counts_div.text_content()
        item: dict[str, Any] = {"mid": bid_to_mid(bid), "bid": bid, "created_at": when,
                                "user": {"id": user_id, "screen_name": screen_name}}
        for key, pattern in _COUNT.items():
            m = pattern.search(counts_text)
            item[key] = int(m.group(1)) if m else None
        if div.xpath('.//span[@class="cmt"][starts-with(normalize-space(.), "转发了")]'):
            reason = html_to_text(_outer(counts_div)).split("转发理由:", 1)[-1]
            item["text"] = _REASON_END.sub("", reason).strip() or "转发微博"
            original = [h for h in div.xpath('.//a[@class="cc"]/@href') if _BID_HREF.search(h)]
            if original:
                item["parent_mid"] = bid_to_mid(_BID_HREF.search(original[0]).group(1))
        else:
            ctt = div.xpath('.//span[@class="ctt"]')
            item["text"] = _outer(ctt[0]) if ctt else ""
        out.items.append(item)
    return out


@typed_errors
def comment_list_page(page: str) -> HtmlPage:
    """A post's weibo.cn/comment/{bid} page → comment-like dicts (the post itself, id M_…, is skipped)."""
    doc = _document(page)
    out = HtmlPage(pages=_pages(doc))
    for div in doc.xpath('//div[@class="c"][starts-with(@id, "C_")]'):
        cid = div.get("id")[2:]
        if not is_numeric_id(cid):
            continue
        link = (div.xpath("./a[1]") or [None])[0]
        href = link.get("href", "") if link is not None else ""
        uid = _USER_HREF.search(href)
        ct = (div.xpath('.//span[@class="ct"]') or [None])[0]
        when, origin = _time_text(ct)
        ctt = div.xpath('.//span[@class="ctt"]')
        likes = _LIKE.search(" ".join(s.text_content() for s in div.xpath('.//span[@class="cc"]')))
        out.items.append({
            "id": cid, "created_at": when, "text": _outer(ctt[0]) if ctt else "",
            "like_count": int(likes.group(1)) if likes else None, "source": origin,
            "user": {"id": uid.group(1) if uid else None,
                     "screen_name": link.text_content().strip() if link is not None else None},
        })
    return out
