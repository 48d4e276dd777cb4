"""Pure parsing of the old weibo.cn HTML pages (user timeline, comment list) with lxml.

Each page item becomes a dict shaped like the JSON APIs' `mblog` / comment, so one mapping
(weibo_parse.mblog_to_record / comment_to_record) serves every Weibo shape.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from collectors.base import ParseError, SourceBlocked
from collectors.sources.weibo_parse import bid_to_mid, html_to_text, is_numeric_id, typed_errors

_COUNT = {"attitudes_count": re.compile(r"赞\[([^\]\[]{1,12})\]"),
          "reposts_count": re.compile(r"(?<!原文)转发\[([^\]\[]{1,12})\]"),
          "comments_count": re.compile(r"(?<!原文)评论\[([^\]\[]{1,12})\]")}
_LIKE = _COUNT["attitudes_count"]
_REASON_END = re.compile(r"\s*赞\[[^\]\[]{1,12}\].*$", re.DOTALL)
_USER_HREF = re.compile(r"(?:weibo\.cn)?/(?:u/)?(\d{5,})(?:[/?]|$)")
_BID = r"([0-9A-Za-z]{8,10})(?![0-9A-Za-z])"
_BID_HREF = re.compile(r"/comment/" + _BID)
# Where a comment or repost page names its post: the pager's form, then the post's own repost/comment/like links.
_POST_BID = (re.compile(r"/(?:comment|repost)/(?:hot/)?" + _BID), re.compile(r"/attitude/" + _BID + r"/add"))
_COMMENT_ID = re.compile(r"^C_\D*?(\d{6,})$")
_NOT_AUTHOR = re.compile(r"/(?:spam|attitude|comment|repost|fav|mblog|search)/")
_HOT_HEADER = "热门评论"
_HOT_END = ("更多热门", "查看更多热门")

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
LOGIN_MARKERS = ("passport.weibo.cn/signin", "login.sina.com.cn", "<title>登录 - 新浪微博</title>", "<title>微博</title><!--login")
ABNORMAL_MARKERS = ("您的帐号存在异常", "帐号异常", "访问受限")


@dataclass
class HtmlPage:
    items: list[dict[str, Any]] = field(default_factory=list)  # posts (timeline), comments or reposts
    pages: int = 1  # total pages announced by the page's pager (input name=mp), 1 when none
    post: dict[str, Any] | None = None  # the post a comment or repost page is about (`div id="M_"`), mblog-like
    post_mid: str | None = None  # that post's id, also when the page does not show the post itself
    kind: str = "timeline"  # timeline | comments | reposts


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


def _classes(node: Any) -> set[str]:
    return set((node.get("class") or "").split())


def _entries(doc: Any) -> list[Any]:
    """The page's `div class="c"` blocks in order (class may carry other tokens)."""
    return [div for div in doc.iter("div") if "c" in _classes(div)]


def _post_item(div: Any, bid: str, user: dict[str, Any], counts_text: str | None = None) -> dict[str, Any]:
    """One `div id="M_…"` post → an mblog-like dict (reposts carry `parent_mid`); counts from `counts_text` if given."""
    ct = (div.xpath('.//span[@class="ct"]') or [None])[0]
    when, _client = _time_text(ct)
    counts_div = ct.getparent() if ct is not None else div
    counts = counts_text if counts_text is not None else counts_div.text_content()
    item: dict[str, Any] = {"mid": bid_to_mid(bid), "bid": bid, "created_at": when, "user": user}
    for key, pattern in _COUNT.items():
        m = pattern.search(counts)
        item[key] = m.group(1).strip() if m else None
    if div.xpath('.//span[@class="cmt"][starts-with(normalize-space(.), "转发了")]'):
        reason = html_to_text(_outer(counts_div)).split("转发理由:", 1)[-1]
        item["text"] = _REASON_END.sub("", reason).strip() or "转发微博"
        original = [h for h in div.xpath('.//a[@class="cc"]/@href') if _BID_HREF.search(h)]
        if original:
            item["parent_mid"] = bid_to_mid(_BID_HREF.search(original[0]).group(1))
    else:
        ctt = div.xpath('.//span[@class="ctt"]')
        if ctt and ctt[0].text and ctt[0].text.startswith(":"):
            ctt[0].text = ctt[0].text[1:]  # comment and repost pages print the post as "name:<span>:text"
        item["text"] = _outer(ctt[0]) if ctt else ""
        if ctt and any((a.text or "").strip() == "全文" for a in ctt[0].findall("a")):
            item["isLongText"] = True  # truncated, with a link to the rest (as on m.weibo.cn): mblog_to_record drops it
    return item


def _author_link(div: Any) -> Any:
    """The entry's author link: its first own `<a>` that is not an action (like, reply, report…)."""
    for link in div.xpath("./a | ./div[1]/a"):
        if not _NOT_AUTHOR.search(link.get("href", "")):
            return link
    return None


def _user_of(link: Any) -> dict[str, Any]:
    if link is None:
        return {"id": None, "screen_name": None}
    uid = _USER_HREF.search(link.get("href", ""))
    return {"id": uid.group(1) if uid else None, "screen_name": link.text_content().strip() or None}


@typed_errors
def timeline_page(page: str, user_id: str | None = None) -> HtmlPage:
    """A user's weibo.cn/{uid}/profile page → mblog-like dicts (reposts carry `parent_mid`)."""
    doc = _document(page)
    title = (doc.findtext(".//title") or "").strip()
    screen_name = title[:-3] if title.endswith("的微博") else None
    out = HtmlPage(pages=_pages(doc))
    for div in _entries(doc):
        ident = div.get("id") or ""
        if ident.startswith("M_") and len(ident) > 2:
            out.items.append(_post_item(div, ident[2:], {"id": user_id, "screen_name": screen_name}))
    return out


def post_bid(doc: Any) -> str | None:
    """The short id of the post a comment or repost page is about (pager form, then the post's action links)."""
    hrefs = [*doc.xpath("//form/@action"), *doc.xpath('//span[@class="pms"]//a/@href'),
             *doc.xpath('//div[@id="M_"]//a[not(@class="cc")]/@href')]  # a.cc: the reposted original's links
    for pattern in _POST_BID:
        for href in hrefs:
            m = pattern.search(href.split("?", 1)[0].split("#", 1)[0])
            if m:
                return m.group(1)
    return None


def _shown_post(doc: Any) -> dict[str, Any] | None:
    """The post at the top of a comment or repost page (`div id="M_"`), with the counts printed under it."""
    divs = [d for d in _entries(doc) if d.get("id") == "M_"]
    bid = post_bid(doc)
    if not divs or bid is None:
        return None
    counts = " ".join(s.text_content() for s in doc.xpath('//span[@class="pms"]')) or None
    return _post_item(divs[0], bid, _user_of(_author_link(divs[0])), counts)


def page_kind(doc: Any) -> str:
    """timeline (posts `M_{bid}`), comments or reposts (one post `M_` and its list), from the entries and forms."""
    if doc.xpath('//div[starts-with(@id, "M_")][string-length(@id) > 2]'):
        return "timeline"
    if doc.xpath('//div[starts-with(@id, "C_")]') or doc.xpath('//form[contains(@action, "/comment/")]'):
        return "comments"
    if doc.xpath('//form[contains(@action, "/repost/")]') or (doc.findtext(".//title") or "").strip() == "转发列表":
        return "reposts"
    return "comments" if doc.xpath('//div[@id="M_"]') else "timeline"  # M_ alone: a post with no comments yet


@typed_errors
def comment_list_page(page: str) -> HtmlPage:
    """A post's weibo.cn/comment/{bid} page → the post (`post`) and its comments, hot ones included, each id once.

    Hot comments (热门评论, marked `<span class="kt">[热门]</span>`) come first on page 1 and may come again
    among the ordinary ones; the first copy is kept and flagged `is_hot`.
    """
    doc = _document(page)
    out = HtmlPage(pages=_pages(doc), post=_shown_post(doc), kind="comments")
    bid = post_bid(doc)
    out.post_mid = bid_to_mid(bid) if bid else None
    seen: set[str] = set()
    in_hot = False
    for div in _entries(doc):
        text = div.text_content()
        m = _COMMENT_ID.match(div.get("id") or "")
        if not m:
            if _HOT_HEADER in text and len(text) < 40:
                in_hot = True
            elif any(word in text for word in _HOT_END) or "全部评论" in text:
                in_hot = False
            continue
        cid = m.group(1)
        if cid in seen:
            continue
        seen.add(cid)
        ct = (div.xpath('.//span[@class="ct"]') or [None])[0]
        when, origin = _time_text(ct)
        ctt = div.xpath('.//span[@class="ctt"]')
        likes = _LIKE.search(" ".join(s.text_content() for s in div.xpath('.//span[@class="cc"]')))
        hot = in_hot or bool(div.xpath('.//span[@class="kt"][contains(., "热门")]'))
        out.items.append({
            "id": cid, "created_at": when, "text": _outer(ctt[0]) if ctt else "",
            "like_count": likes.group(1).strip() if likes else None, "source": origin,
            "user": _user_of(_author_link(div)), "is_hot": hot,
        })
    return out


@typed_errors
def repost_list_page(page: str) -> HtmlPage:
    """A post's weibo.cn/repost/{bid} page → the post (`post`) and its reposts as mblog-like dicts (`parent_mid`).

    A repost's own id comes from its like link (`/attitude/{bid}/add`); an entry without one cannot be stored.
    """
    doc = _document(page)
    out = HtmlPage(pages=_pages(doc), post=_shown_post(doc), kind="reposts")
    bid = post_bid(doc)
    out.post_mid = parent = bid_to_mid(bid) if bid else None
    for div in _entries(doc):
        if div.get("id") or not div.xpath('.//span[@class="ct"]'):
            continue
        link = _author_link(div)
        bids = [m.group(1) for h in div.xpath(".//a/@href") if (m := _POST_BID[1].search(h))]
        if link is None or not bids:
            continue
        ct = div.xpath('.//span[@class="ct"]')[0]
        when, _client = _time_text(ct)
        likes = _LIKE.search(" ".join(s.text_content() for s in div.xpath('.//span[@class="cc"]')))
        body = copy.deepcopy(div)
        for node in [*body.xpath('./span[@class="cc"] | ./span[@class="ct"] | ./span[@class="kt"]'), _author_link(body)]:
            _drop(node)
        text = html_to_text(_outer(body)).lstrip(":：").strip()
        out.items.append({"mid": bid_to_mid(bids[0]), "bid": bids[0], "created_at": when, "text": text or "转发微博",
                          "attitudes_count": likes.group(1).strip() if likes else None,
                          "user": _user_of(link), "parent_mid": parent})
    return out


def _drop(node: Any) -> None:
    """Remove a node but keep its tail text."""
    parent = node.getparent()
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


@typed_errors
def weibo_cn_page(page: str, user_id: str | None = None) -> HtmlPage:
    """Any saved weibo.cn page: a comment list, a repost list, or a user's timeline."""
    kind = page_kind(_document(page))
    if kind == "comments":
        return comment_list_page(page)
    if kind == "reposts":
        return repost_list_page(page)
    return timeline_page(page, user_id)
