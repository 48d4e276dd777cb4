"""A small store for dashboard tests and benchmarks: demo records plus `scores` rows written directly.

The scores are a stand-in "oracle" model: each synthetic text's sentiment phrase decides its label, so
charts show the generator's intended shape without depending on the NLP layer's model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC
from collectors import demo
from collectors.models import RECORD_SCHEMA
from collectors.store import RECORDS, Store
from collectors.trackers import load_trackers

MODEL = "oracle-test"
VERSION = "oracle-test-1"
HOSTILE_TEXT = 'XSS probe <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> 测试'


def oracle_scores(records: pa.Table) -> pa.Table:
    """Label each record from the generator's sentiment phrases (negative / positive / else neutral)."""
    text = records["text"]
    neg = np.zeros(records.num_rows, dtype=bool)
    pos = np.zeros(records.num_rows, dtype=bool)
    for phrase in [*demo._ZH_NEG, *demo._EN_NEG]:
        neg |= pc.match_substring(text, phrase).to_numpy(zero_copy_only=False)
    for phrase in [*demo._ZH_POS, *demo._EN_POS]:
        pos |= pc.match_substring(text, phrase).to_numpy(zero_copy_only=False)
    label = np.where(neg, "negative", np.where(pos, "positive", "neutral"))
    p = np.full((records.num_rows, 3), 0.1, dtype=np.float32)
    p[np.arange(records.num_rows), np.select([neg, pos], [0, 2], 1)] = 0.8
    n = records.num_rows
    return pa.Table.from_pydict(
        {"source": records["source"], "id": records["id"], "model": [MODEL] * n, "model_version": [VERSION] * n,
         "p_neg": p[:, 0], "p_neu": p[:, 1], "p_pos": p[:, 2], "label": label.tolist(),
         "scored_at": [datetime(2026, 11, 2, tzinfo=UTC)] * n},
        schema=SCORES_SCHEMA,
    )


def hostile_record() -> pa.Table:
    """A post whose text is an HTML/JS injection attempt: it must render as inert text everywhere."""
    row = {name: [None] for name in RECORD_SCHEMA.names}
    row.update(source=["weibo"], id=["xss-probe-1"], kind=["post"], text=[HOSTILE_TEXT], title=[None],
               url=["javascript:window.__pwned=3"],
               published_at=[datetime(2026, 4, 21, 12, tzinfo=UTC)], collected_at=[datetime(2026, 11, 1, tzinfo=UTC)],
               lang=["zh"], author_id=["4242424242"], author_name=["<b>probe</b>"], trackers=[["iqiyi-nadou"]],
               synthetic=[True], likes=[999_999], shares=[9_999_999])
    return pa.Table.from_pydict(row, schema=RECORD_SCHEMA)


def build_store(data_dir: Path, records: int = 3000, seed: int = demo.DEMO_SEED, hostile: bool = True,
                batch: int = 200_000) -> Store:
    """Demo records for every real tracker (+ the hostile probe) and oracle scores, in `data_dir`."""
    store = Store(data_dir)
    trackers = load_trackers()
    done = 0
    part = 0
    while done < records:
        n = min(batch, records - done)
        table = demo.generate(trackers, records=n, seed=seed + part)
        if part:  # ids restart per generate() call: keep them unique across parts
            table = table.set_column(1, "id", pc.binary_join_element_wise(table["id"], pa.scalar(f"-p{part}"), ""))
        store.add_table(RECORDS, table)
        store.add_table(SCORES, oracle_scores(table), SCORES_SPEC)
        done += n
        part += 1
    if hostile:
        probe = hostile_record()
        store.add_table(RECORDS, probe)
        store.add_table(SCORES, oracle_scores(probe), SCORES_SPEC)
    return store
