"""Words shared by the reports (brief, alerts) and the dashboard's alt texts and captions."""

from __future__ import annotations

from itertools import pairwise

# what the intervals and p-values over posts correct for (authors: analysis.stats.clustered) and what they do not
INDEPENDENT_POSTS = ("Posts by one author move together, so these count each author's posts as one cluster (a few "
                     "prolific authors widen them): the share negative's 95% interval, the daily and weekly bands of "
                     "the sentiment, stance and emotion shares (Wilson's at records / design effect), the noise a "
                     "negative-share jump is judged against and the band it is quoted with, the interval of a change "
                     "(before vs after an event, week on week), and the before/after permutation p-value, which "
                     "shuffles whole authors between the sides rather than posts. Not corrected: posts of one repost "
                     "cascade by different authors, and posts of one day (one day's news moves every author at once), "
                     "still count as independent draws, as do the frame shares and the change points (a binomial "
                     "cost over posts); so the real uncertainty is wider, the more so when one cascade or one day "
                     "makes up much of the count. An author on both sides of a comparison counts as two clusters "
                     "there, which errs on the wide side.")
# what a column of per-event p-values does not do
UNADJUSTED_NOTE = ("The p-values are one per event, not adjusted for the number of events compared: among 20 events "
                   "with no effect at all, about one would reach p < 0.05 by chance.")


def count_text(n: int, noun: str, plural: str | None = None) -> str:
    """'1 record', '2 records', '1,204 records'; `plural` for nouns not made by adding s ('1 entity', '2 entities')."""
    return f"{int(n):,} {noun if n == 1 else plural or noun + 's'}"


def share_text(share: float, interval: tuple[float, float] | None = None, most: int = 3) -> str:
    """A share as a whole percentage that never rounds a mixed view to 0% or 100%; with its 95% `interval`,
    "0.4% (95% CI 0.1%–2.2%)": all three at the fewest decimals (up to `most`) at which values that differ read
    differently and none strictly between 0 and 1 reads as 0% or 100% (whole-percent bounds read "0%–2%" around a
    share said to be "under 1%", and could equal the share they bound)."""
    if interval is None:
        if 0.99 < share < 1:
            return "over 99%"
        if 0 < share < 0.01:
            return "under 1%"
        return f"{share:.0%}"
    values = (float(interval[0]), float(share), float(interval[1]))
    for decimals in range(most + 1):
        texts = [f"{v:.{decimals}%}" for v in values]
        edges = (f"{0:.{decimals}%}", f"{1:.{decimals}%}")
        merged = any(x != y and texts[i] == texts[i + 1] for i, (x, y) in enumerate(pairwise(values)))
        if not merged and not any(t in edges for t, v in zip(texts, values, strict=True) if 0 < v < 1):
            break
    lo, mid, hi = texts
    return f"{mid} (95% CI {lo}–{hi})"


def change_decimals(before: float, after: float, most: int = 2) -> int:
    """Decimals to give two shares and their change in percentage points at, so that the change a sentence states is
    the difference of the shares it states (17.4% → 42.5% said "17% … 42%, +26 points"; at one decimal they agree)."""
    for decimals in range(most + 1):
        b, a = (float(f"{100 * x:.{decimals}f}") for x in (before, after))
        if f"{a - b:+.{decimals}f}" == f"{100 * (after - before):+.{decimals}f}":
            return decimals
    return most


def unread_text(by_lang: dict[str, int]) -> str:
    """"3 records in languages the models do not read (ja 2, ko 1) not scored, left out of the shares", or "" for
    none (analysis.stats.annotation_series.unread_languages counts them)."""
    total = sum(by_lang.values())
    if not total:
        return ""
    langs = ", ".join(f"{lang} {n:,}" for lang, n in sorted(by_lang.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"{count_text(total, 'record')} in languages the models do not read ({langs}) not scored, left out of "
            "the shares")
