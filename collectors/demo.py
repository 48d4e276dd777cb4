"""A deterministic, seeded generator of SYNTHETIC records for the demo store and benchmarks.

Every record is fictional: authors are invented nicknames, ids start with "demo-", URLs use the
reserved `.invalid` domain and `synthetic` is true. Real organisations appear only as the subject
of fictional users' opinions; no statement is put in a real person's or organisation's mouth.
Volume follows each tracker's calendar: a spike at the trigger, decay, and secondary spikes on the
tracker's dated events; the sentiment mix and topic words shift with each phase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pyarrow as pa

from collectors.models import RECORD_SCHEMA
from collectors.trackers import Tracker

DEMO_SEED = 20260420
DEMO_RECORDS = 24_000
DEMO_URL = "https://demo.actorwatch.invalid"

# (source, kind, lang, weight) per tracker flavour
_MIX_ZH = [("weibo", "post", "zh", 0.40), ("weibo", "comment", "zh", 0.25), ("weibo", "repost", "zh", 0.10),
           ("bilibili", "comment", "zh", 0.12), ("rss", "article", "zh", 0.06), ("gdelt", "article", "en", 0.04),
           ("bluesky", "post", "en", 0.03)]
_MIX_EN = [("bluesky", "post", "en", 0.35), ("mastodon", "post", "en", 0.12), ("rss", "article", "en", 0.15),
           ("gdelt", "article", "en", 0.10), ("weibo", "post", "zh", 0.18), ("weibo", "comment", "zh", 0.10)]

_ZH_SUBJECT = {"iqiyi-nadou": ["爱奇艺", "这个AI艺人库", "纳逗Pro", "平台", "爱奇艺的AI艺人库"],
               "yaoke-ai-actors": ["耀客的AI演员", "这两个AI演员", "AI演员", "这部AI短剧", "所谓的赛博演员"],
               "default": ["这个AI演员", "AI女演员", "合成演员", "这家AI公司", "所谓的AI演员"]}
_EN_SUBJECT = {"tilly-norwood": ["Tilly Norwood", "this 'AI actress'", "the synthetic performer", "the AI studio"],
               "yaoke-ai-actors": ["Yaoke's AI actors", "China's AI actors", "the AI short dramas", "the AI cast"],
               "default": ["iQIYI", "the AI artist library", "Nadou Pro", "the platform"]}
# Phase words that only fit one case (the shared ones below were written for the iQIYI storm).
_ZH_TOPIC_BY_TRACKER = {"yaoke-ai-actors": {"launch": ["官宣出道", "AI数字演员", "撞脸", "AIGC剧集", "男二以下用AI"]}}
_ZH_TOPIC = {
    "pre": ["AI影视制作", "数字人技术", "AIGC短剧", "虚拟偶像"],
    "launch": ["发布会", "AI艺人库", "100多位艺人", "数字分身", "AI生成剧集"],
    "denial": ["工作室声明", "没有授权", "否认签约", "肖像权", "律师函"],
    "remark": ["非遗", "纯人工拍摄", "CEO发言", "真人演员"],
    "statement": ["回应", "合作意向", "误会", "澄清"],
    "union": ["演员工会", "行业协会", "职业保障", "合同条款"],
    "legal": ["起诉", "侵权", "肖像权", "法律责任"],
    "media": ["热搜", "媒体报道", "舆论", "网友讨论"],
    "later": ["AI演员", "行业未来", "版权", "观众选择", "技术伦理"],
}
_EN_TOPIC = {
    "pre": ["AI in film", "digital humans", "synthetic media", "generative video"],
    "launch": ["the debut", "the comedy sketch", "talent agencies", "AI talent studio"],
    "denial": ["consent", "likeness rights", "no authorisation", "denials"],
    "remark": ["the remarks", "human craft", "the backlash"],
    "statement": ["the statement", "clarification", "the response"],
    "union": ["SAG-AFTRA", "the union", "bargaining obligations", "performers' jobs", "contracts"],
    "legal": ["legal action", "copyright", "likeness law"],
    "media": ["the coverage", "headlines", "the debate"],
    "later": ["synthetic performers", "the future of acting", "AI actors", "audiences"],
}
_ZH_NEG = ["太离谱了", "真的让人寒心", "坚决抵制", "未经授权就是侵权", "恶心，拒绝AI演员", "一点都不尊重演员",
           "吃相太难看了[怒]", "这是在糊弄观众吧", "不会再开会员了", "完全不能接受[失望]"]
_ZH_NEU = ["大家怎么看？", "等官方进一步说明", "先吃瓜，看后续", "具体合同条款还不清楚", "转发了解一下",
           "有人整理时间线吗", "技术本身是中性的", "看看各方怎么说"]
_ZH_POS = ["其实技术挺厉害的", "期待看到新形式的作品[赞]", "支持合规探索", "如果有授权我觉得可以接受",
           "对小成本剧组是好事", "挺有意思的尝试[哈哈]", "希望能规范发展"]
_EN_NEG = ["this is disgusting", "no consent, no deal", "boycott any agency that signs it", "actors deserve better",
           "this is theft of human work", "hard pass", "deeply troubling for performers"]
_EN_NEU = ["what do people think?", "waiting for more details", "worth reading the full statement",
           "curious how contracts will handle this", "the debate continues", "here is a summary of the week"]
_EN_POS = ["honestly the tech is impressive", "could open doors for small studios", "interesting experiment",
           "fine if everyone consents and gets paid", "excited to see where this goes"]
_HEADLINE_ZH = ["{s}引发争议：{t}", "{t}成焦点，{s}回应", "观察｜{s}与{t}", "{t}背后：AI演员离我们有多远"]
_HEADLINE_EN = ["{s} sparks debate over {t}", "What {t} means for actors", "Explainer: {s} and {t}",
                "Backlash grows over {t}"]
_NICK_A = ["橘子", "星河", "小熊", "夏夜", "南风", "青柠", "月亮", "山海", "奶茶", "云朵", "木木", "阿喵"]
_NICK_B = ["汽水", "漫步者", "不睡觉", "看剧中", "吃瓜群众", "冲浪", "观察员", "同学", "本人", "小号"]
_EN_A = ["blue", "quiet", "lucky", "paper", "night", "silver", "tiny", "amber", "salt", "ivy"]
_EN_B = ["heron", "fox", "reader", "owl", "critic", "moth", "otter", "lamp", "cinema", "wren"]
_OUTLETS_ZH = ["演示财经网", "样例娱乐日报", "虚构科技观察"]
_OUTLETS_EN = ["Demo Trade Weekly", "Sample Screen News", "Fictional Tech Review"]

# sentiment mix (neg, neu, pos) per phase
_PHASE_MIX = {"pre": (0.2, 0.55, 0.25), "launch": (0.45, 0.33, 0.22), "denial": (0.66, 0.24, 0.10),
              "remark": (0.72, 0.20, 0.08), "statement": (0.55, 0.32, 0.13), "union": (0.52, 0.30, 0.18),
              "legal": (0.60, 0.28, 0.12), "media": (0.5, 0.35, 0.15), "later": (0.38, 0.42, 0.20)}


@dataclass(frozen=True)
class _Day:
    day: date
    weight: float
    phase: str


def _calendar(tracker: Tracker) -> list[_Day]:
    """Per-day activity weight and dominant phase from the trigger and the tracker's events."""
    start = tracker.trigger_date - timedelta(days=tracker.window_days_before)
    days = tracker.window_days_before + tracker.window_days_after + 1
    shocks = [(tracker.trigger_date, 30.0, "launch")]
    for event in tracker.events:
        if event.date != tracker.trigger_date:
            shocks.append((event.date, 12.0, event.kind if event.kind in _ZH_TOPIC else "media"))
    out = []
    for i in range(days):
        day = start + timedelta(days=i)
        weight, phase, best = 1.0, "pre" if day < tracker.trigger_date else "later", 0.0
        for when, size, kind in shocks:
            lag = (day - when).days
            if lag >= 0:
                bump = size * np.exp(-lag / 2.5)
                weight += bump
                if bump > best and bump > 0.8:
                    best, phase = bump, kind
        out.append(_Day(day, weight, phase))
    return out


def generate(trackers: Sequence[Tracker], records: int = DEMO_RECORDS, seed: int = DEMO_SEED,
             collected_at: datetime | None = None) -> pa.Table:
    """`records` synthetic records spread over the trackers (the first gets 60%, the rest share 40%)."""
    rng = np.random.default_rng(seed)
    collected = collected_at or datetime(2026, 11, 1, tzinfo=UTC)
    # The first tracker keeps 60% however many follow, so its records (drawn first) do not change when one is added.
    n = len(trackers)
    shares = [1.0] if n == 1 else [0.6] + [0.4 / (n - 1)] * (n - 1)
    tables = []
    for n, (tracker, share) in enumerate(zip(trackers, shares, strict=True)):
        count = round(records * share) if n < len(trackers) - 1 else records - sum(t.num_rows for t in tables)
        tables.append(_generate_one(tracker, count, rng, collected))
    return pa.concat_tables(tables)


def _generate_one(tracker: Tracker, count: int, rng: np.random.Generator, collected: datetime) -> pa.Table:
    cal = _calendar(tracker)
    weights = np.array([d.weight for d in cal])
    day_idx = rng.choice(len(cal), size=count, p=weights / weights.sum())
    zh_first = tracker.id != "tilly-norwood"
    mix = _MIX_ZH if zh_first else _MIX_EN
    mix_p = np.array([m[3] for m in mix])
    mix_idx = rng.choice(len(mix), size=count, p=mix_p / mix_p.sum())
    # Beijing-evening peak for zh, US-daytime peak for en; seconds after midnight UTC
    secs = rng.integers(0, 86_400, size=count)
    sentiment_draw = rng.random(count)
    pick = rng.random((count, 6))
    followers = np.exp(rng.normal(5.5, 1.8, size=count)).astype(np.int64)
    likes = np.exp(rng.normal(1.5, 1.6, size=count)).astype(np.int64)
    comments_n = (likes * rng.random(count) * 0.4).astype(np.int64)
    shares_n = (likes * rng.random(count) * 0.3).astype(np.int64)
    author_pool = rng.integers(10**9, 10**10 - 1, size=max(50, count // 6))
    author_choice = rng.integers(0, len(author_pool), size=count)
    subjects_zh = _ZH_SUBJECT.get(tracker.id, _ZH_SUBJECT["default"])
    subjects_en = _EN_SUBJECT.get(tracker.id, _EN_SUBJECT["default"])
    zh_topics = {**_ZH_TOPIC, **_ZH_TOPIC_BY_TRACKER.get(tracker.id, {})}

    cols: dict[str, list] = {name: [] for name in RECORD_SCHEMA.names}
    post_ids: list[str] = []
    for i in range(count):
        d = cal[day_idx[i]]
        source, kind, lang, _ = mix[mix_idx[i]]
        neg, neu, _pos = _PHASE_MIX[d.phase]
        s = sentiment_draw[i]
        polarity = 0 if s < neg else (1 if s < neg + neu else 2)
        p = pick[i]
        rid = f"demo-{tracker.id}-{i:07d}"
        if lang == "zh":
            subj = subjects_zh[int(p[0] * len(subjects_zh))]
            topic = zh_topics[d.phase][int(p[1] * len(zh_topics[d.phase]))]
            later = _ZH_TOPIC["later"][int(p[5] * len(_ZH_TOPIC["later"]))]
            opinion = (_ZH_NEG, _ZH_NEU, _ZH_POS)[polarity]
            line = opinion[int(p[2] * len(opinion))]
            tag = "#爱奇艺AI艺人库# " if tracker.id == "iqiyi-nadou" and p[3] < 0.35 else ("#AI演员# " if p[3] < 0.5 else "")
            text = f"{tag}{subj}{'这次' if p[4] < 0.5 else ''}的{topic}，{line}。{'说到底还是' + later + '的问题' if p[4] > 0.8 else ''}"
        else:
            subj = subjects_en[int(p[0] * len(subjects_en))]
            topic = _EN_TOPIC[d.phase][int(p[1] * len(_EN_TOPIC[d.phase]))]
            later = _EN_TOPIC["later"][int(p[5] * len(_EN_TOPIC["later"]))]
            opinion = (_EN_NEG, _EN_NEU, _EN_POS)[polarity]
            line = opinion[int(p[2] * len(opinion))]
            text = f"{subj} and {topic}: {line}." + (f" It is really about {later}." if p[4] > 0.8 else "")
        title = None
        author_public = False
        if kind == "article":
            outlets = _OUTLETS_ZH if lang == "zh" else _OUTLETS_EN
            author_name = outlets[int(p[3] * len(outlets))] + "（演示）" if lang == "zh" else outlets[int(p[3] * len(outlets))] + " (demo)"
            heads = _HEADLINE_ZH if lang == "zh" else _HEADLINE_EN
            title = heads[int(p[4] * len(heads))].format(s=subj, t=topic)
            author_id, author_public = f"demo-outlet-{author_name}", True
        else:
            aid = int(author_pool[author_choice[i]])
            author_id = str(aid)
            if lang == "zh":
                author_name = f"{_NICK_A[aid % len(_NICK_A)]}{_NICK_B[(aid // 7) % len(_NICK_B)]}_{aid % 10000}"
            else:
                author_name = f"{_EN_A[aid % len(_EN_A)]}_{_EN_B[(aid // 7) % len(_EN_B)]}{aid % 1000}"
        parent = None
        if kind in ("comment", "repost") and post_ids:
            parent = post_ids[int(p[5] * len(post_ids))]
        if kind == "post":
            post_ids.append(rid)
        published = datetime.combine(d.day, time(0), tzinfo=UTC) + timedelta(seconds=int(secs[i]))
        if lang == "zh":  # shift toward Beijing evening (UTC 10:00-16:00)
            published = datetime.combine(d.day, time(0), tzinfo=UTC) + timedelta(seconds=int(36_000 + secs[i] % 21_600)) if p[0] < 0.5 else published
        verified = author_public or bool(p[2] > 0.97)
        row = {
            "source": source, "id": rid, "kind": kind, "text": text, "title": title,
            "url": f"{DEMO_URL}/{source}/{rid}", "published_at": published, "collected_at": collected,
            "lang": lang, "author_id": author_id, "author_name": author_name,
            "author_verified": verified if source == "weibo" else None,
            "author_verified_type": (3 if author_public else (0 if verified else -1)) if source == "weibo" else None,
            "author_followers": int(followers[i]) if kind != "article" else None,
            "likes": int(likes[i]) if kind != "article" else None,
            "comments": int(comments_n[i]) if kind in ("post", "repost") else None,
            "shares": int(shares_n[i]) if kind in ("post", "repost") else None,
            "parent_id": parent, "location": ("北京", "上海", "广东", "浙江", "四川", None)[int(p[1] * 6)] if source == "weibo" else None,
            "trackers": [tracker.id], "synthetic": True, "time_basis": None,
        }
        for name, value in row.items():
            cols[name].append(value)
    return pa.Table.from_pydict(cols, schema=RECORD_SCHEMA)
