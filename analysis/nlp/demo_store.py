"""Build the embedded demo store: synthetic records for every tracker, scored by the default model, plus the
real Weibo hot-search excerpt shipped in data/hot_search/ (synthetic=false)."""

from __future__ import annotations

from collectors.demo import DEMO_RECORDS, DEMO_SEED, generate
from collectors.hot_search import ingest_excerpt
from collectors.store import RECORDS, Store
from collectors.trackers import load_trackers


def has_demo(store: Store) -> bool:
    if not store.files(RECORDS):
        return False
    with store.connect() as con:
        return bool(con.execute("SELECT count(*) FROM records WHERE synthetic").fetchone()[0])


def build_demo_store(store: Store | None = None, records: int | None = None, seed: int | None = None,
                     force: bool = False, enrich: bool = True) -> str:
    """Write the synthetic corpus (unless present) and enrich it; returns a one-line summary."""
    from analysis.nlp.enrich import enrich_store

    store = store or Store()
    parts = []
    if force or not has_demo(store):
        table = generate(load_trackers(), records=records or DEMO_RECORDS, seed=DEMO_SEED if seed is None else seed)
        result = store.add_table(RECORDS, table)
        parts.append(f"wrote {result.rows:,} synthetic demo records in {result.files} files")
    else:
        parts.append("demo records already present (use --force to rebuild)")
    parts.append(ingest_excerpt(store))  # real data (synthetic=false) beside the synthetic corpus
    if enrich:
        parts.append(enrich_store(store, progress=True).line())
    return f"{store.root}: " + "; ".join(parts)
