"""The curated statements and claims of a tracker, reshaped for charts and tables (facts, not computed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

import pandas as pd

from collectors.trackers import STANCES, EntityType

if TYPE_CHECKING:  # the registry imports every page module, which import these ledgers
    from dashboard.charts.registry import View


def statements_frame(view: View) -> pd.DataFrame:
    """The tracker's curated statements as rows (who, role, date, platform, stance, summary, source)."""
    t = view.tracker
    rows = [{"date": s.date, "who": s.who, "entity": s.entity, "entity_type": t.entity(s.entity).type,
             "role": s.role, "platform": s.platform, "stance": s.stance, "summary": s.summary,
             "source_name": s.source_name, "source_url": str(s.source_url), "source_date": s.source_date, "id": s.id}
            for s in t.statements]
    cols = ["date", "who", "entity", "entity_type", "role", "platform", "stance", "summary", "source_name",
            "source_url", "source_date", "id"]
    frame = pd.DataFrame(rows, columns=cols).sort_values(["date", "who"], ignore_index=True)
    accepted = {"stance": STANCES, "role": sorted(set(frame["role"])), "types": get_args(EntityType)}
    for option, column in (("stance", "stance"), ("role", "role"), ("types", "entity_type")):
        wanted = [v for v in view.option(option, "", accepted[option], many=True).split(",") if v]
        if wanted:
            frame = frame[frame[column].isin(wanted)]
    return frame.reset_index(drop=True)


def claims_frame(view: View) -> pd.DataFrame:
    """One row per (claim, outlet report): the claim, its status and the version that outlet reported."""
    t = view.tracker
    rows = [{"claim_id": c.id, "claim": c.claim, "made_by": t.entity(c.made_by).label, "claimed_on": c.date,
             "status": c.status, "note": c.note, "outlet": r.outlet if r else None, "version": r.version if r else None,
             "date": r.date if r else None, "url": str(r.url) if r else None}
            for c in t.claims for r in (c.reports or [None])]  # a claim no outlet report backs yet still shows
    cols = ["claim_id", "claim", "made_by", "claimed_on", "status", "note", "outlet", "version", "date", "url"]
    return pd.DataFrame(rows, columns=cols)


def tracker_events(view: View) -> list[Any]:
    return list(view.tracker.events)
