"""The reproducible export bundle: the selected records (pseudonymised) with their scores and annotations,
plus manifest.json saying exactly what was selected, how it was scored and how people were protected.

Bundle layout (DIR):
  records.csv | records.parquet   one row per record: the data model's fields (from `records_public`; `lang` the
                                  language the record is read in, which --lang selects: analysis.nlp.read_lang),
                                  declared_lang (the language its source declared or the collector detected),
                                  then sentiment_model, sentiment_version, p_neg, p_neu, p_pos, sentiment,
                                  then entities (the tracker's only), stance, emotion, frames, keywords (lists
                                  joined by '|' in CSV), annotation_version (the pipeline version that made
                                  them: a store partly re-enriched holds several), read_lang (the language
                                  enrichment read the text in: a sentiment, stance and emotion only for zh, en
                                  or none; another (ja, ko, und, …) is a language the models do not read),
                                  then visibility, visibility_checked_at (the latest known recheck status of
                                  the post and when it was checked; empty if never rechecked),
                                  then merged_from: the other stored copies (source:id) of a news article that
                                  several sources carried, which this one row stands for (collectors.store)
  manifest.json                   query, filters, time zone, counts, model + measured accuracy, policy, …
`import_bundle(DIR, store)` (CLI `actorwatch import-bundle DIR`) reads either format back into a store.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.core.annotations import (
    ANNOTATIONS,
    ANNOTATIONS_SCHEMA,
    ANNOTATIONS_SPEC,
    annotations_scan,
    tracker_entities_sql,
)
from analysis.core.filters import Filters
from analysis.core.labels import LABELS
from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC
from analysis.core.tables import has_table
from analysis.core.wording import INDEPENDENT_POSTS
from analysis.nlp.enrich import PIPELINE_CODE_VERSION, code_version_of
from analysis.nlp.model_info import accuracy_line, in_domain_badges, latest_model_version, model_card_summary
from analysis.nlp.read_lang import DECLARED_LANG, use_read_langs
from analysis.nlp.sentiment.linear import file_sha256
from analysis.reports.links import DEFAULT_PAGE, deep_link
from analysis.stats.aggregate import kpis
from analysis.stats.annotation_series import unread_languages
from analysis.stats.visibility import latest_scan
from collectors.display_zone import zone_label, zone_name, zone_short
from collectors.importers import ImportIssue
from collectors.ingest import IngestSummary, ingest
from collectors.models import RECORD_FIELDS, InvalidRecord, parse_record
from collectors.paths import checkout_commit
from collectors.pseudonym import POLICY
from collectors.spreadsheet import NOTE as SPREADSHEET_NOTE
from collectors.spreadsheet import escape_frame, unescape_frame
from collectors.store import Store, atomic_write_text, remove_stale_temps, temp_path
from collectors.trackers import Tracker
from collectors.visibility import DISAPPEARED, STATUSES, VisibilityCheck

FORMATS = ("csv", "parquet")
MANIFEST = "manifest.json"
SCORE_COLUMNS = ["sentiment_model", "sentiment_version", "p_neg", "p_neu", "p_pos", "sentiment"]
ANNOTATION_COLUMNS = ["entities", "stance", "emotion", "frames", "keywords", "annotation_version", "read_lang"]
VISIBILITY_COLUMNS = ["visibility", "visibility_checked_at"]
TIME_COLUMNS = ("published_at", "collected_at", "visibility_checked_at")
LIST_COLUMNS = ("trackers", "entities", "frames", "keywords", "merged_from")
INT_COLUMNS = ("author_verified_type", "author_followers", "likes", "comments", "shares")


class BundleError(ValueError):
    """An export bundle is missing, incomplete or malformed; the message names the file."""


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    data_file: Path
    records: int
    manifest: dict[str, Any]


def export_bundle(store: Store, tracker: Tracker, f: Filters, out_dir: Path, fmt: str = "csv",
                  model_version: str | None = None, now: datetime | None = None,
                  batch_size: int = 50_000) -> ExportResult:
    """Write records (+ scores, annotations) selected by `f` and the manifest into `out_dir`.

    Rows stream from DuckDB in batches of `batch_size`, so memory stays flat however large the export;
    the data file and the manifest are each written to a temporary name and renamed when complete.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    data_file = out_dir / f"records.{fmt}"
    for stale in (data_file, out_dir / MANIFEST):  # left by an export killed while writing
        remove_stale_temps(stale)
    tmp = temp_path(data_file)
    counts = _Counts()
    with store.connect(public_names=tracker.public_names()) as con:
        use_read_langs(con)  # selected and counted by the language each record is read in
        version = model_version or latest_model_version(con, tracker.id)
        model_name = _model_name(con, version)
        badges = in_domain_badges(con, version, model_name, tracker.id)
        figures = _figures(kpis(con, f, version), unread_languages(con, f))
        reader = _select(con, f, tracker, version, batch_size)
        columns = reader.schema.names
        try:
            if fmt == "parquet":
                schema = _utc_schema(reader.schema)  # the session reads times in the display zone; files keep UTC
                with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                    for batch in reader:
                        writer.write_table(pa.Table.from_batches([batch]).cast(schema))
                        counts.add(batch)
            else:
                with tmp.open("w", encoding="utf-8", newline="") as fh:
                    fh.write(",".join(columns) + "\r\n")
                    for batch in reader:
                        # CRLF rows (RFC 4180): the csv writer then quotes a field holding a bare CR, which with
                        # "\n" rows it left bare, so readers split the post there
                        to_csv_frame(pa.Table.from_batches([batch], reader.schema)).to_csv(
                            fh, index=False, header=False, lineterminator="\r\n")
                        counts.add(batch)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, data_file)
    manifest = build_manifest(tracker, f, counts, columns, data_file, version, model_name, now or datetime.now(UTC),
                              badges, store.signature(skip=(LABELS,)), figures)
    atomic_write_text(out_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
    return ExportResult(out_dir, data_file, counts.records, manifest)


def _figures(k: dict[str, Any], unread: dict[str, int]) -> dict[str, Any]:
    """The Overview's figures for the exported view (analysis.stats.aggregate.kpis), with how each is computed, and
    the records in languages the models do not read (annotation_series.unread_languages)."""
    ci = k["share_negative_ci"]
    return {"records": k["records"], "authors": k["authors"], "scored": k["scored"],
            "not_scored_languages": {"records": sum(unread.values()), "by_language": dict(sorted(unread.items())),
                                     "note": "records kept and exported (records.csv, their `read_lang`) but in a "
                                             "language the models do not read: no sentiment, stance or emotion, "
                                             "left out of every share"},
            "share_negative": k["share_negative"], "share_negative_ci95": list(ci) if ci else None,
            "share_negative_design_effect": k["share_negative_deff"],
            "interval": "Wilson score 95% interval (statsmodels proportion_confint, method='wilson') at the effective "
                        "size: scored records / design effect, the design effect being the share's variance over "
                        "authors (one cluster per source + author, a record naming none its own) relative to "
                        "independent records, at least 1 (analysis.stats.clustered). 1 when no author has two scored "
                        "records: the plain Wilson interval. Records of one day, or of one repost cascade by "
                        "different authors, are still counted as independent (see uncertainty)",
            "uncertainty": INDEPENDENT_POSTS,  # what the dashboard's intervals and p-values correct for, and not
            "n": "the scored records (rows of records.csv with a sentiment): records without a score (empty after "
                 "cleaning, in a language the models do not read, or not yet enriched) are left out of the share",
            "authors_note": "distinct authors: source + author_id (else author_name); records.csv's pseudonyms keep "
                            "them distinct, so counting its rows the same way gives this number"}


@dataclass
class _Counts:
    """What the manifest reports about the rows, accumulated batch by batch."""

    records: int = 0
    scored: int = 0
    annotated: int = 0
    synthetic: int = 0
    rechecked: int = 0
    disappeared: int = 0
    merged: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_annotation_version: dict[str, int] = field(default_factory=dict)
    published: list[Any] = field(default_factory=list)  # each batch's first and last published_at

    def add(self, batch: pa.RecordBatch) -> None:
        self.records += batch.num_rows
        self.scored += batch.num_rows - batch.column("sentiment").null_count
        self.annotated += batch.num_rows - batch.column("entities").null_count
        self.synthetic += int(pc.sum(pc.fill_null(batch.column("synthetic"), False)).as_py() or 0)
        status = batch.column("visibility")
        self.rechecked += int(pc.sum(pc.fill_null(pc.not_equal(status, "unknown"), False)).as_py() or 0)
        self.disappeared += int(pc.sum(pc.fill_null(pc.is_in(status, pa.array(DISAPPEARED)), False)).as_py() or 0)
        self.merged += batch.num_rows - batch.column("merged_from").null_count
        for column, tally in (("source", self.by_source), ("annotation_version", self.by_annotation_version)):
            for item in pc.value_counts(pc.drop_null(batch.column(column))).to_pylist():
                tally[item["values"]] = tally.get(item["values"], 0) + item["counts"]
        span = pc.min_max(batch.column("published_at")).as_py()
        self.published += [v for v in (span["min"], span["max"]) if v is not None]


def _model_name(con: duckdb.DuckDBPyConnection, version: str | None) -> str | None:
    if version is None:
        return None
    row = con.execute(f"SELECT any_value(model) FROM {SCORES} WHERE model_version = ?", [version]).fetchone()
    return row[0] if row else None


def _select(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker, version: str | None,
            batch_size: int) -> pa.RecordBatchReader:
    where, params = f.where("r")
    fields = ", ".join(f'public_id(r.source, r."{name}") AS "{name}"' if name in ("id", "parent_id") else f'r."{name}"'
                       for name in RECORD_FIELDS) + f", r.{DECLARED_LANG}"
    joins, extra, jparams = [], [], []
    if version is not None and has_table(con, SCORES):
        joins.append(f"LEFT JOIN {SCORES} s ON s.source = r.source AND s.id = r.id AND s.model_version = ?")
        jparams.append(version)
        extra += ["s.model AS sentiment_model", "s.model_version AS sentiment_version", "s.p_neg", "s.p_neu",
                  "s.p_pos", "s.label AS sentiment"]
    else:
        extra += [f"NULL::VARCHAR AS {c}" if c.startswith("sentiment") else f"NULL::FLOAT AS {c}" for c in SCORE_COLUMNS]
    scan = annotations_scan(con)
    if scan is not None:
        joins.append(f"LEFT JOIN {scan} a ON a.source = r.source AND a.id = r.id")
        entities, eparams = tracker_entities_sql("a", tracker)  # not those of the record's other trackers
        extra += [f"{entities} AS entities", "a.stance", "a.emotion", "a.frames", "a.keywords",
                  "a.pipeline_version AS annotation_version", "a.lang AS read_lang"]
        jparams = [*eparams, *jparams]  # the select list's parameter comes before the joins'
    else:
        extra += ["NULL::VARCHAR[] AS entities", "NULL::VARCHAR AS stance", "NULL::VARCHAR AS emotion",
                  "NULL::VARCHAR[] AS frames",
                  "NULL::VARCHAR[] AS keywords", "NULL::VARCHAR AS annotation_version", "NULL::VARCHAR AS read_lang"]
    seen = latest_scan(con)
    if seen is not None:
        joins.append(f"LEFT JOIN {seen} v ON v.source = r.source AND v.id = r.id")
        extra += ["v.status AS visibility", "v.checked_at AS visibility_checked_at"]
    else:
        extra += ["NULL::VARCHAR AS visibility", "NULL::TIMESTAMPTZ AS visibility_checked_at"]
    extra.append("r.merged_from")
    sql = (f"SELECT {fields}, {', '.join(extra)} FROM records_public r {' '.join(joins)} "
           f"WHERE {where} ORDER BY r.published_at, r.source, r.id")
    con.complete()  # finish any earlier execute() so the relation API may stream on this connection
    return con.sql(sql, params=[*jparams, *params]).to_arrow_reader(batch_size)


def to_csv_frame(table: pa.Table) -> pd.DataFrame:
    """CSV-ready: ISO 8601 UTC timestamps, lists joined by '|', integers without '.0', text a spreadsheet would run
    as a formula prefixed with ' (collectors.spreadsheet)."""
    frame = table.to_pandas()
    for col in TIME_COLUMNS:
        frame[col] = frame[col].map(_utc_iso)
    for col in LIST_COLUMNS:
        frame[col] = frame[col].map(lambda v: "|".join(v) if v is not None and len(v) else None)
    for col in INT_COLUMNS:
        frame[col] = frame[col].astype("Int64")
    return escape_frame(frame)


def _utc_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with every time-zone-aware timestamp column tagged UTC (the same instants)."""
    return pa.schema([field.with_type(pa.timestamp(field.type.unit, tz="UTC"))
                      if pa.types.is_timestamp(field.type) and field.type.tz else field for field in schema],
                     metadata=schema.metadata)


def _time_zone_text() -> str:
    """The manifest's time-zone statement: stored times are UTC; the filters' days are the display zone's."""
    if zone_short() == "UTC":
        return ("UTC (published_at, collected_at and visibility_checked_at are UTC; date filters are UTC days, "
                "inclusive)")
    return (f"published_at, collected_at and visibility_checked_at are UTC; date filters are {zone_label()} days, "
            "inclusive")


def _utc_iso(value: Any) -> str | None:
    """ISO 8601 UTC text ('…Z') of a timestamp read in the session's (display) time zone."""
    if pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat().replace("+00:00", "Z")


def build_manifest(tracker: Tracker, f: Filters, counts: _Counts, columns: list[str], data_file: Path,
                   version: str | None, model_name: str | None, now: datetime,
                   in_domain: dict[str, dict[str, Any]] | None = None,
                   store_signature: str | None = None, figures: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest; `model.in_domain` holds each task's in-domain test figure as its card states it (the
    figure the dashboard's badges quote), or says it was not measured."""
    n = counts.records
    return {
        "format": "actorwatch-export", "format_version": 1,
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "software": software_version(),
        "tracker": {"id": tracker.id, "name_en": tracker.name_en, "name_zh": tracker.name_zh,
                    "trigger_date": tracker.trigger_date.isoformat()},
        "store": {"signature": store_signature,
                  "note": "the state of the store exported: the dashboard's Methods page names the same signature "
                          "(store snapshot) when it shows this state"},
        "query": {"queries": tracker.queries.model_dump(), "hot_search": tracker.hot_search.model_dump(),
                  "note": "records were collected with these per-source queries and tagged to the tracker"},
        "filters": {"tracker": f.tracker, "from": f.start.isoformat() if f.start else None,
                    "to": f.end.isoformat() if f.end else None, "sources": list(f.sources), "langs": list(f.langs),
                    "kinds": list(f.kinds), "kinds_counted": list(f.kind_values()),
                    "kinds_note": "no kinds chosen: every kind but trend (a Weibo hot-search topic's title is not a "
                                  "post)"},
        "time_zone": _time_zone_text(),
        "days_time_zone": zone_name(),  # the IANA zone of the date filters' days
        "counts": {"records": n, "by_source": dict(sorted(counts.by_source.items())), "scored": counts.scored,
                   "annotated": counts.annotated, "synthetic": counts.synthetic, "merged": counts.merged,
                   "published_first": _utc_iso(min(counts.published)) if counts.published else None,
                   "published_last": _utc_iso(max(counts.published)) if counts.published else None},
        "annotations": _annotation_versions(counts.by_annotation_version),
        "merged_note": "a news article that several sources carried (RSS, GDELT, an import; the same page once its "
                       "address is normalised) is one row, counted once, under the source of the copy kept; "
                       "merged_from names the other stored copies (source:id). 'merged' counts the rows that stand "
                       "for other copies",
        "synthetic_share": counts.synthetic / n if n else 0.0,
        "figures": figures,
        "visibility": {"rechecked": counts.rechecked, "disappeared": counts.disappeared,
                       "statuses": list(STATUSES), "disappeared_statuses": list(DISAPPEARED),
                       "note": "each record's latest known status from `actorwatch recheck` (Weibo posts only); "
                               "'unavailable' means Weibo said the post does not exist or cannot be viewed without "
                               "saying which; a post can disappear after its last check"},
        "synthetic_note": "synthetic records are generated demo data, not real posts" if counts.synthetic else None,
        "model": {**_model(version, model_name, tracker.id), "in_domain": in_domain or {}},
        "pseudonymisation": {"policy": POLICY, "key_included": False,
                             "fields": ["author_id", "author_name", "url (author id or user name inside)",
                                        "@mentions and video-link nicknames in text and title (not of tracker entities)",
                                        "the account in links to Weibo, Bluesky, Bilibili or X profiles in text and title"]},
        "deep_link": deep_link(DEFAULT_PAGE, f),
        "spreadsheet_safety": SPREADSHEET_NOTE if data_file.suffix == ".csv" else None,
        "files": [{"name": data_file.name, "rows": n, "sha256": file_sha256(data_file), "columns": columns}],
        "caution": "Sentiment, stance and emotion labels are model output with the measured accuracy above "
                   "(model.in_domain: on labelled in-domain test text); differences over time are associations, "
                   "not causation.",
    }


def _annotation_versions(by_version: dict[str, int]) -> dict[str, Any]:
    """Which enrichment pipelines made the exported rows' annotations, and whether they are one."""
    older = sum(n for v, n in by_version.items()
                if (code := code_version_of(v)) is not None and int(code) < int(PIPELINE_CODE_VERSION))
    return {"pipeline_versions": dict(sorted(by_version.items())), "mixed": len(by_version) > 1,
            "code_version": PIPELINE_CODE_VERSION, "older_code": older,
            "note": "annotation_version names the pipeline that made each row's entities, stance, emotion, frames and "
                    "keywords (enrichment code version p<code>, sentiment, stance and emotion models, lexicons): "
                    "rows of different versions were annotated differently, so a figure over a mix of them mixes "
                    "models. older_code counts rows made by enrichment code older than code_version (this "
                    "software's); `actorwatch enrich` re-annotates them"}


def _model(version: str | None, model_name: str | None, tracker: str) -> dict[str, Any]:
    """The model card summary, with the one sentence charts print (for an adapted model: its labels and figures)."""
    summary = model_card_summary(version, model_name, tracker)
    return {**summary, "statement": accuracy_line(summary)}


def software_version() -> dict[str, str | None]:
    try:
        version: str | None = metadata.version("actorwatch")
    except metadata.PackageNotFoundError:
        version = None
    return {"name": "actorwatch", "version": version, "git_sha": checkout_commit()}


# ---------- reading a bundle back ----------

@dataclass(frozen=True)
class BundleImport:
    records: IngestSummary
    scores: int
    annotations: int
    visibility: int = 0

    def line(self) -> str:
        return (f"{self.records.line()}; scores: {self.scores}; annotations: {self.annotations}; "
                f"visibility checks: {self.visibility}")


def read_bundle(bundle: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The manifest and the data file as a DataFrame (lists as lists, timestamps as UTC)."""
    manifest_path = bundle / MANIFEST
    if not manifest_path.exists():
        raise BundleError(f"{bundle}: no {MANIFEST}: not an actorwatch export bundle")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:  # cut short, or not UTF-8
        raise BundleError(f"{manifest_path}: not a readable export manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise BundleError(f"{manifest_path}: not a readable export manifest (a JSON object is expected)")
    files = manifest.get("files") or []
    if not files:
        raise BundleError(f"{manifest_path}: lists no data file")
    name = str(files[0].get("name") or "")
    if Path(name).name != name or "\\" in name or Path(name).suffix not in (".csv", ".parquet"):
        raise BundleError(f"{manifest_path}: data file {name!r} is not a .csv or .parquet file inside the bundle")
    data_file = bundle / name
    if not data_file.exists():
        raise BundleError(f"{data_file}: data file listed in the manifest is missing")
    if file_sha256(data_file) != files[0].get("sha256"):
        raise BundleError(f"{data_file}: checksum differs from the manifest (file changed or truncated)")
    if data_file.suffix == ".parquet":
        frame = pq.read_table(data_file).to_pandas()
    else:
        frame = pd.read_csv(data_file, dtype=str, keep_default_na=False, encoding="utf-8")
        frame = unescape_frame(frame.replace({"": None}))
        for col in LIST_COLUMNS:
            if col in frame:
                frame[col] = frame[col].map(lambda v: v.split("|") if isinstance(v, str) else [])
    return manifest, frame


def import_bundle(bundle: Path, store: Store) -> BundleImport:
    """Ingest a bundle's records, then its scores, annotations and latest visibility checks (idempotent like every
    ingest)."""
    _manifest, frame = read_bundle(bundle)
    rows = frame.to_dict(orient="records")
    summary = ingest(_records(rows), store)
    # A score or annotation the store already holds is kept: re-importing adds nothing, and the bundle's thinner
    # annotations (no language, no scores) never become a record's newest over the enrichment's own.
    scored = [r for r in rows if _present(r.get("sentiment"))]
    stored = _stored_keys(store, SCORES, ("source", "id", "model_version"),
                          [(r["source"], r["id"], r["sentiment_version"]) for r in scored])
    scored = [r for r in scored if (r["source"], r["id"], r["sentiment_version"]) not in stored]
    if scored:
        now = datetime.now(UTC)
        store.add_table(SCORES, pa.Table.from_pydict(
            {"source": [r["source"] for r in scored], "id": [r["id"] for r in scored],
             "model": [r["sentiment_model"] for r in scored], "model_version": [r["sentiment_version"] for r in scored],
             "p_neg": [float(r["p_neg"]) for r in scored], "p_neu": [float(r["p_neu"]) for r in scored],
             "p_pos": [float(r["p_pos"]) for r in scored], "label": [r["sentiment"] for r in scored],
             "scored_at": [now] * len(scored)}, schema=SCORES_SCHEMA), SCORES_SPEC)
    annotated = [r for r in rows if _present(r.get("stance")) or _present(r.get("emotion")) or _as_list(r.get("entities"))
                 or _present(r.get("read_lang"))]
    stored = _stored_keys(store, ANNOTATIONS, ("source", "id"), [(r["source"], r["id"]) for r in annotated])
    annotated = [r for r in annotated if (r["source"], r["id"]) not in stored]
    if annotated:
        now = datetime.now(UTC)
        columns: dict[str, Any] = {name: [None] * len(annotated) for name in ANNOTATIONS_SCHEMA.names}
        columns.update({"source": [r["source"] for r in annotated], "id": [r["id"] for r in annotated],
                        "pipeline_version": [_imported_version(r.get("annotation_version")) for r in annotated],
                        "entities": [_as_list(r.get("entities")) for r in annotated],
                        "stance": [r["stance"] if _present(r.get("stance")) else None for r in annotated],
                        "emotion": [r["emotion"] if _present(r.get("emotion")) else None for r in annotated],
                        "frames": [_as_list(r.get("frames")) for r in annotated],
                        "keywords": [_as_list(r.get("keywords")) for r in annotated],
                        "lang": [r["read_lang"] if _present(r.get("read_lang")) else None for r in annotated],
                        "annotated_at": [now] * len(annotated)})
        store.add_table(ANNOTATIONS, pa.Table.from_pydict(columns, schema=ANNOTATIONS_SCHEMA), ANNOTATIONS_SPEC)
    checks = [VisibilityCheck(source=r["source"], id=r["id"], status=r["visibility"],
                              checked_at=_clean(r["visibility_checked_at"]), reason="imported from an export bundle")
              for r in rows if _present(r.get("visibility")) and _present(r.get("visibility_checked_at"))]
    if checks:
        ingest(checks, store)
    return BundleImport(summary, len(scored), len(annotated), len(checks))


def _imported_version(made_by: Any) -> str:
    """An imported annotation's pipeline version: marked as imported, then the one the bundle names (and with it the
    stance and emotion models' "|<task>=<version>", which the badges read); a bundle made before it named them: the
    mark alone."""
    return f"imported-bundle:{made_by}" if _present(made_by) else "imported-bundle"


def _stored_keys(store: Store, dataset: str, columns: tuple[str, ...],
                 keys: list[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Those of `keys` (values of `columns`) that `dataset` already holds."""
    if not keys or not store.files(dataset):
        return set()
    with store.connect(only=[dataset]) as con:
        con.register("wanted", pd.DataFrame(keys, columns=list(columns)).astype(str))
        on = " AND ".join(f'w."{c}" = d."{c}"' for c in columns)
        picked = ", ".join(f'w."{c}"' for c in columns)
        return set(con.execute(f'SELECT DISTINCT {picked} FROM wanted w JOIN "{dataset}" d ON {on}').fetchall())


def _records(rows: list[dict[str, Any]]) -> Iterator[Any]:
    for n, row in enumerate(rows, start=2):
        data = {k: _clean(row.get(k)) for k in RECORD_FIELDS if _present(row.get(k))}
        for key in set(INT_COLUMNS) & data.keys():
            data[key] = int(float(data[key]))
        for key in ("author_verified", "synthetic"):
            if key in data and isinstance(data[key], str):
                data[key] = data[key].strip().lower() in ("true", "1")
        data["trackers"] = _as_list(row.get("trackers"))
        if DECLARED_LANG in row:  # `lang` is the language read: the record keeps the one its source declared
            data.pop("lang", None)
            if _present(row[DECLARED_LANG]):
                data["lang"] = _clean(row[DECLARED_LANG])
        try:
            yield parse_record(data)
        except InvalidRecord as exc:
            yield ImportIssue(f"records:{n}", str(exc))


def _as_list(value: Any) -> list[str]:
    return [] if value is None or isinstance(value, float) else [str(v) for v in value]


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and value == "")


def _clean(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, list | str):
        return value.item()
    return value
