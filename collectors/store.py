"""The store: month-partitioned Parquet datasets written in atomic batches, read through DuckDB.

Layout under `<data_dir>/store/`:
  <dataset>/_dataset.json                how to deduplicate the dataset (keys, newest-wins column)
  <dataset>/[month=YYYY-MM/]part-<batch>.parquet   (stores before 2026-12: date=YYYY-MM-DD/, read alike)
  .staging/<batch>/...                   files of a batch being written (never read)
  .staging/<batch>.commit                the batch's journal: once it exists the batch is complete

A batch is first written entirely to .staging; then its journal is written (atomic rename) and the
files are renamed into place. A batch interrupted before its journal leaves nothing visible and is
discarded on the next write; one interrupted after it is rolled forward. A compaction is one such batch whose
journal also lists the files it replaces, removed only after its own file is in place. Readers never take a lock:
each opens its own in-memory DuckDB over the Parquet files, so a running writer never blocks them.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: writers are not serialised
    fcntl = None  # type: ignore[assignment]

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from collectors.display_zone import set_session_zone
from collectors.lang import record_langs, with_lang
from collectors.models import RECORD_SCHEMA, TREND_SCHEMA, Record, records_to_table
from collectors.paths import data_dir as default_data_dir
from collectors.pseudonym import pseudonym_key
from collectors.secrets import REDACTED, SENSITIVE_PARAMS_SQL, USERINFO_SQL
from collectors.urls import canonical_urls

RECORDS = "records"
TRENDS = "trend_observations"


@dataclass(frozen=True)
class DatasetSpec:
    """How a dataset is partitioned and deduplicated (newest `order_by` wins per `keys`; among rows of equal
    `order_by`, the greatest `then_by`, an SQL expression)."""

    name: str
    keys: tuple[str, ...]
    order_by: str
    partition_by: str | None = None
    schema: pa.Schema | None = None
    then_by: str | None = None


BUILTIN_DATASETS: dict[str, DatasetSpec] = {
    # a post imported again for another tracker is rewritten, same version, with the stored tags and the new one:
    # of two rows of one version the one with more trackers is the newer (ingest only ever adds tags)
    RECORDS: DatasetSpec(RECORDS, ("source", "id"), "collected_at", "published_at", RECORD_SCHEMA,
                         then_by='len("trackers")'),
    TRENDS: DatasetSpec(TRENDS, ("source", "topic", "observed_at"), "observed_at", "observed_at", TREND_SCHEMA),
}


@dataclass(frozen=True)
class WriteResult:
    rows: int
    files: int
    batch: str | None


class StoreError(RuntimeError):
    """A store operation failed; the message says what and how to recover."""


class Store:
    """One data directory's store and raw archive."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = Path(data_dir).resolve() if data_dir else default_data_dir()
        self.root = self.data_dir / "store"
        self.raw_root = self.data_dir / "raw"
        self._staging = self.root / ".staging"
        self.on_wait: Callable[[], None] | None = None  # called when a write must wait for another writer

    # ---------- writing ----------
    def add_records(self, records: Iterable[Record], batch_size: int = 100_000) -> WriteResult:
        """Append validated records in atomic batches of `batch_size`."""
        rows = files = 0
        batch_id = None
        chunk: list[Record] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= batch_size:
                result = self.add_table(RECORDS, records_to_table(chunk))
                rows, files, batch_id, chunk = rows + result.rows, files + result.files, result.batch, []
        if chunk:
            result = self.add_table(RECORDS, records_to_table(chunk))
            rows, files, batch_id = rows + result.rows, files + result.files, result.batch
        return WriteResult(rows, files, batch_id)

    def add_table(self, dataset: str, table: pa.Table, spec: DatasetSpec | None = None) -> WriteResult:
        """Write one Arrow table as one atomic batch of `dataset`."""
        spec = spec or BUILTIN_DATASETS.get(dataset) or self._read_spec(dataset)
        if spec is None:
            raise StoreError(f"unknown dataset {dataset!r}: pass a DatasetSpec the first time you write it")
        if table.num_rows == 0:
            return WriteResult(0, 0, None)
        if spec.schema is not None:
            table = table.select(spec.schema.names).cast(spec.schema)
        if dataset == RECORDS:  # every write of records passes here: a record is stored with its language known
            table = with_lang(table)
        with self._writer_lock():
            return self._add_batch(dataset, table, spec)

    def _add_batch(self, dataset: str, table: pa.Table, spec: DatasetSpec,
                   replaces: Sequence[Path] = ()) -> WriteResult:
        """Stage, journal and move in one batch; the files in `replaces` are removed after it is in place."""
        self._recover()
        batch = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
        stage = self._staging / batch
        moves: list[tuple[str, str]] = []
        try:
            parts = []
            for part_dir, part in _partitions(table, spec.partition_by):
                target_dir = self.root / dataset / part_dir if part_dir else self.root / dataset
                staged = stage / f"{part_dir or '_'}.parquet"  # flat: one directory to create and remove
                parts.append((part, staged))
                moves.append((str(staged), str(target_dir / f"part-{batch}.parquet")))
            stage.mkdir(parents=True, exist_ok=True)
            _write_parquet_files(parts)
            self._write_spec(spec)
            removals: list[tuple[str, None]] = [(str(path), None) for path in replaces]
            atomic_write_text(self._staging / f"{batch}.commit", json.dumps([*moves, *removals]))
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        self._apply_journal(self._staging / f"{batch}.commit")
        return WriteResult(table.num_rows, len(moves), batch)

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """One writer at a time (a collector, an import, enrich and the Label page may write together): another
        writer's recovery would otherwise discard, as abandoned, the batch this one is still staging. Re-entrant
        within a thread (see `writing`)."""
        holder = (threading.get_ident(), self._staging)
        if holder in _WRITING:
            yield
            return
        with file_lock(self._staging / "writer.lock", on_wait=self.on_wait):
            _WRITING.add(holder)
            try:
                yield
            finally:
                _WRITING.discard(holder)

    def writing(self) -> AbstractContextManager[None]:
        """Hold the writer lock across a check and the writes it decides (no other writer's batch lands between
        them); the writes inside take it again at no cost."""
        return self._writer_lock()

    def recover(self) -> list[str]:
        """Roll forward committed batches, drop uncommitted ones; returns what was done."""
        with self._writer_lock():
            return self._recover()

    def _recover(self) -> list[str]:
        done: list[str] = []
        if not self._staging.exists():
            return done
        for journal in sorted(self._staging.glob("*.commit")):
            self._apply_journal(journal)
            done.append(f"completed batch {journal.stem}")
        for leftover in self._staging.iterdir():
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
                done.append(f"discarded incomplete batch {leftover.name}")
            elif leftover.suffix == ".tmp":
                leftover.unlink(missing_ok=True)
        return done

    def _apply_journal(self, journal: Path) -> None:
        for src, dst in json.loads(journal.read_text()):  # moves first, then the removals of a compaction
            if dst is None:
                Path(src).unlink(missing_ok=True)
            elif os.path.exists(src):
                Path(dst).parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
        journal.unlink()
        shutil.rmtree(self._staging / journal.stem, ignore_errors=True)

    def _write_spec(self, spec: DatasetSpec) -> None:
        path = self.root / spec.name / "_dataset.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            body = {"keys": list(spec.keys), "order_by": spec.order_by, "partition_by": spec.partition_by}
            atomic_write_text(path, json.dumps(body))

    def _read_spec(self, dataset: str) -> DatasetSpec | None:
        path = self.root / dataset / "_dataset.json"
        if not path.exists():
            return None
        body = json.loads(path.read_text())
        return DatasetSpec(dataset, tuple(body["keys"]), body["order_by"], body.get("partition_by"))

    def compact(self, dataset: str = RECORDS, drop: pa.Table | None = None) -> WriteResult:
        """Rewrite a dataset deduplicated into one batch that replaces its files; with `drop` (columns among the
        dataset's keys), the rows matching one of its rows are left out, and nothing is rewritten when none does.

        All under the writer lock (no other writer adds a file between the listing and the removal), and as one
        journaled batch: a kill before the journal leaves the old files as they were, one after it is rolled
        forward (new file in, then old files out), so no row is lost or left twice. A reader in between sees the
        old files or both (the deduplicated views read both as the old), never neither; one whose query had listed
        an old file before it went fails on it (`removed_while_read`), and reads the new state when run again.
        """
        spec = BUILTIN_DATASETS.get(dataset) or self._read_spec(dataset)
        if spec is None:
            raise StoreError(f"no dataset {dataset!r} in {self.root} (datasets: {', '.join(self.datasets()) or 'none'})")
        with self._writer_lock():
            self._recover()
            old = self.files(dataset)
            if len(old) <= 1 and drop is None:
                return WriteResult(0, 0, None)
            # every source's copy of an article stays stored: only older versions of a row go
            with self.connect(materialize=False, only=[dataset], merge_articles=False) as con:
                rows = f'SELECT * FROM "{dataset}"'
                if drop is not None:
                    con.register("_drop", drop)
                    on = ", ".join(f'"{c}"' for c in drop.column_names)
                    if not con.execute(f"SELECT count(*) FROM ({rows}) SEMI JOIN _drop USING ({on})").fetchall()[0][0]:
                        return WriteResult(0, 0, None)
                    rows = f"{rows} ANTI JOIN _drop USING ({on})"
                table = con.sql(rows).to_arrow_table()
            if table.num_rows == 0 and drop is None:  # only empty files: nothing to rewrite
                return WriteResult(0, 0, None)
            if spec.schema is not None:
                table = table.select(spec.schema.names).cast(spec.schema)
            result = self._add_batch(dataset, table, spec, replaces=old)
            for folder in {path.parent for path in old} - {self.root / dataset}:
                with suppress(OSError):  # emptied, e.g. a day folder of a store written before month partitions
                    folder.rmdir()  # not empty: rmdir leaves it
        return result

    # ---------- reading ----------
    def datasets(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def files(self, dataset: str) -> list[Path]:
        return sorted((self.root / dataset).rglob("*.parquet"))

    def parquet_scan(self, dataset: str, files: Sequence[Path] | None = None) -> str:
        """DuckDB's table function over every Parquet file of `dataset`, or over `files` of it (raw: not
        deduplicated)."""
        paths = [str(self.root / dataset / "**" / "*.parquet")] if files is None else [str(p) for p in files]
        listed = ", ".join("'" + path.replace("'", "''") + "'" for path in paths)
        return f"read_parquet([{listed}], union_by_name=true, hive_partitioning=false)"

    def signature(self, skip: Iterable[str] = ()) -> str:
        """Changes whenever any dataset file (outside `skip`) changes: a cache key for readers, the same in every
        process."""
        skipped = set(skip)
        # os.scandir rather than Path.rglob and stat: the dashboard asks on every page run, and a 10M-record store
        # has ~1,000 files (60 ms through pathlib). Same listing and order as `files` (sorted by path parts).
        found: list[tuple[tuple[str, ...], int]] = []
        for dataset in self.datasets():
            if dataset not in skipped:
                _scan_parquet(self.root / dataset, (dataset,), found)
        stamps = [f"{'/'.join(parts)}:{mtime}" for parts, mtime in sorted(found)]
        return hashlib.sha256("\n".join(stamps).encode()).hexdigest()[:20] + f":{len(stamps)}"

    def connect(self, materialize: bool = False, public_names: Iterable[str] = (),
                only: Iterable[str] | None = None, merge_articles: bool = True) -> duckdb.DuckDBPyConnection:
        """A private in-memory DuckDB with a deduplicated view per dataset and `records_public`.

        `materialize=True` copies the deduplicated data into memory tables once (fast repeated queries,
        as the dashboard needs); otherwise views scan the Parquet files on each query. `only` names the
        datasets a caller reads: only those get a view, and there is no `records_public` (each view is bound,
        i.e. every file's footer read, when it is created). `records` holds one row per news article, however many
        sources carried it (see `_MERGED_ARTICLES_SQL`); `merge_articles=False` keeps each source's copy (one row per
        source and id, as stored).
        """
        con = duckdb.connect(":memory:")
        set_session_zone(con)  # days are the display zone's (default UTC) whatever the machine's zone
        # Each view is bound when created and again by each query over it: read each file's footer once.
        # Files are never rewritten in place (every batch writes new names), so a cached footer stays true.
        con.execute("SET parquet_metadata_cache = true")
        kind = "TABLE" if materialize else "VIEW"
        names = (set(self.datasets()) | {RECORDS}) if only is None else set(only)
        for name in sorted(names):
            spec = BUILTIN_DATASETS.get(name) or self._read_spec(name)
            files = self.files(name)
            if files:
                scan = self.parquet_scan(name)
                if spec is not None and spec.schema is not None:
                    # files written before a column existed read it as NULL rather than lacking it
                    con.register(f"_empty_{name}", spec.schema.empty_table())
                    scan = f"(SELECT * FROM {scan} UNION ALL BY NAME SELECT * FROM _empty_{name})"
            elif spec is not None and spec.schema is not None:
                con.register(f"_empty_{name}", spec.schema.empty_table())
                scan = f"_empty_{name}"
            else:
                continue
            if spec is None:
                con.execute(f'CREATE {kind} "{name}" AS SELECT * FROM {scan}')
                continue
            keys = ", ".join(f'"{k}"' for k in spec.keys)
            then = f", {spec.then_by} DESC" if spec.then_by else ""
            columns = "*"
            if name == RECORDS:  # records stored before every write filled in the language read as if written now
                con.create_function("record_lang", record_langs, ["VARCHAR", "VARCHAR"], "VARCHAR", type="arrow",
                                    null_handling="special")
                columns = "* REPLACE (coalesce(lang, record_lang(text, title)) AS lang)"
            newest = f'row_number() OVER (PARTITION BY {keys} ORDER BY "{spec.order_by}" DESC{then}) = 1'
            view = f"SELECT {columns} FROM {scan} QUALIFY {newest}"
            if name == RECORDS and merge_articles:
                con.create_function("canonical_url", canonical_urls, ["VARCHAR"], "VARCHAR", type="arrow",
                                    null_handling="special")
                view = _MERGED_ARTICLES_SQL.format(latest=f"SELECT {columns} FROM {scan}", newest=newest,
                                                   shown_id=_redacted_sql("id"))
            con.execute(f'CREATE {kind} "{name}" AS {view}')
        if only is None:
            self.add_public_view(con, public_names)
        return con

    def add_public_view(self, con: duckdb.DuckDBPyConnection, public_names: Iterable[str],
                        premasked: str | None = None) -> None:
        """`records_public` (ordinary users pseudonymised) over the connection's `records`; the key stays in memory.
        `premasked`: a relation of the records written with `with_public_columns` (the dashboard's snapshot), whose
        verification is already the account's on every record and whose text is already masked: the view reads
        those columns instead of looking accounts up and masking per query."""
        names = sorted({n for n in public_names if n})
        con.execute("CREATE TABLE public_names(name VARCHAR)")
        if names:
            con.executemany("INSERT INTO public_names VALUES (?)", [[n] for n in names])
        key = pseudonym_key(self.data_dir).replace("'", "''")
        con.execute(f"CREATE MACRO pseudonym(src, aid) AS 'u_' || left(sha256('{key}' || '|' || src || '|' || aid), 12)")
        # Bluesky and Mastodon record ids embed the author's account (at://did:plc:…/…, https://host/users/name/…;
        # a 4CAT export of Bluesky keeps the at:// ids under source '4cat'; a Bluesky post bridged into Mastodon
        # has https://bsky.brid.gy/convert/ap/at://did:plc:…/… as its uri):
        # what leaves the store (exports, Explore, evidence) shows them with the account pseudonymised. The view's own
        # `id` stays as stored, since every join with scores, annotations and labels uses it.
        con.execute(  # an id made of an address (GDELT's) shown as a record's url is (_redacted_sql)
            rf"""CREATE MACRO public_id(src, rid) AS CASE
                 WHEN (src = 'bluesky' OR contains(rid, 'at://did:')) AND regexp_matches(rid, 'did:[^/]+')
                   THEN replace(rid, regexp_extract(rid, 'did:[^/]+'), pseudonym(src, regexp_extract(rid, 'did:[^/]+')))
                 WHEN src = 'mastodon' AND regexp_matches(rid, '/users/[^/]+/')
                   THEN replace(rid, regexp_extract(rid, '/users/[^/]+/'),
                                '/users/' || pseudonym(src, regexp_extract(rid, '/users/([^/]+)/', 1)) || '/')
                 ELSE {_redacted_sql("rid")} END""")
        # a link names its author by the stored id or user name as a whole path segment (weibo.com/<uid>/<bid>,
        # space.bilibili.com/<mid>, a 4CAT export's tweet link, /@name profiles) or a whole query value (?uid=<uid>),
        # or starts with the author's profile link (a Mastodon author_id; `profile`, its last segment, names them):
        # only there is it replaced by `new` (the author's pseudonym); elsewhere the same digits are part of something
        # else (an av number, a reply id). Segment by segment: a pattern made of the id would be compiled per row.
        con.execute(
            r"""CREATE MACRO profile_name(u, aid) AS CASE WHEN aid LIKE 'http%://%/%' AND starts_with(u, aid)
                 THEN regexp_extract(aid, '/@?([^/@?#]+)/?$', 1) END""")
        con.execute(
            r"""CREATE MACRO values_replaced(x, a, b, c, new) AS
                 array_to_string(list_transform(regexp_extract_all(x, '[^/?#&=;@]+|[/?#&=;@]'),
                                                lambda t: CASE WHEN t IN (a, b, c) THEN new ELSE t END), '')""")
        con.execute(
            r"""CREATE MACRO named_url(u, aid, aname, profile, new) AS array_to_string(list_transform(string_split(u, '/'),
                 lambda x: CASE
                   WHEN x IN (aid, aname, profile) THEN new
                   WHEN x IN ('@' || aid, '@' || aname, '@' || profile) THEN '@' || new
                   WHEN (contains(x, aid) OR contains(x, aname) OR contains(x, profile)) AND regexp_matches(x, '[?#&=;@]')
                     THEN values_replaced(x, aid, aname, profile, new)
                   ELSE x END), '/')""")
        if premasked:  # its urls already redacted
            flagged, linked = f"SELECT * FROM {premasked}", ""
            text, title, hidden = "coalesce(text_public, text)", "coalesce(title_public, title)", PUBLIC_COLUMNS[1:]
        else:
            # verification is the account's, not the record's: an account verified on any of its records is public on
            # all of them (a comment may come without its author's verification), so one author never shows as both a
            # name and a pseudonym, and an export counts the authors the Overview counts. A view, over the raw files (3
            # columns, no dedupe: a record version ever verified counts): a table built here cost every connection a
            # full deduplicated scan (0.9 s at 1M records), where only readers of records_public need it (0.08 s at 1M).
            source = self.parquet_scan(RECORDS) if self.files(RECORDS) else f'"{RECORDS}"'
            con.execute(f"CREATE VIEW public_authors AS {VERIFIED_ACCOUNTS_SQL.format(records=source)}")
            public = _author_public_sql("(SELECT name FROM public_names)")
            # written before the rule, a record's url may hold a secret
            flagged = (f'SELECT * REPLACE ({_redacted_sql("url")} AS url), ({public} OR (source, author_id) IN '
                       f'(SELECT (source, author_id) FROM public_authors)) AS author_public FROM "{RECORDS}"')
            # profile links masked in a column of their own (as named_link): nested in the mention masking, the
            # expression would be copied into each branch and double the view's planning time
            linked = f", {_masked_links_sql('text')} AS linked_text, {_masked_links_sql('title')} AS linked_title"
            text, title = _masked_mentions_sql("linked_text", names), _masked_mentions_sql("linked_title", names)
            hidden = ("linked_text", "linked_title")
        con.execute(
            f"""
            CREATE VIEW records_public AS
            WITH flagged AS (
              SELECT *, pseudonym(source, coalesce(author_id, author_name)) AS author_pseudonym,
                     profile_name(url, author_id) AS author_profile
              FROM ({flagged})),
            -- the named link in a column of its own: nested in public_id as a macro argument, its expression would be
            -- copied into each of public_id's uses and cost every query on this view ~5 ms more to plan
            named AS (
              SELECT *, CASE WHEN author_public OR url IS NULL THEN url
                             ELSE named_url(url, author_id, author_name, author_profile, author_pseudonym) END AS named_link{linked}
              FROM flagged)
            SELECT * EXCLUDE (named_link, author_pseudonym, author_profile, {', '.join(hidden)}) REPLACE (
                CASE WHEN author_public OR author_id IS NULL THEN author_id ELSE pseudonym(source, author_id) END AS author_id,
                CASE WHEN author_public OR author_name IS NULL THEN author_name
                     ELSE author_pseudonym END AS author_name,
                -- only Bluesky/Mastodon ids embed an account
                CASE WHEN author_public OR source NOT IN ('bluesky', 'mastodon') THEN named_link
                     ELSE public_id(source, named_link) END AS url,
                {text} AS text, {title} AS title)
            FROM named
            """
        )

    def query(self, sql: str, params: Sequence[Any] | None = None, **connect: Any) -> Any:
        """Run one SQL query against a fresh connection; returns a pandas DataFrame."""
        with self.connect(**connect) as con:
            return con.execute(sql, params or []).df()

    def stats(self) -> Any:
        """Record counts by source, tracker and day, and how many of them are synthetic (demo) records."""
        return self.query(
            f"""SELECT source, coalesce(tracker, '(none)') AS tracker,
                       CAST(published_at AS DATE) AS day, count(*) AS records,
                       count(*) FILTER (WHERE synthetic) AS synthetic
                FROM (SELECT source, published_at, synthetic, unnest(CASE WHEN len(trackers) = 0 THEN [NULL]
                                                                          ELSE trackers END) AS tracker
                      FROM "{RECORDS}")
                GROUP BY ALL ORDER BY source, tracker, day"""
        )

    def totals(self) -> tuple[int, int]:
        """Records and synthetic records, each counted once (stats() counts a record once per tracker)."""
        if not self.files(RECORDS):
            return 0, 0
        records, synthetic = self.query(
            f'SELECT count(*) AS n, count(*) FILTER (WHERE synthetic) AS s FROM "{RECORDS}"').iloc[0]
        return int(records), int(synthetic)

    # ---------- raw archive ----------
    def archive_raw(self, source: str, body: str | bytes, meta: Mapping[str, Any]) -> Path:
        """Append one raw response (before parsing) to data/raw/<source>/<day>.jsonl.gz.

        `meta` must already be free of secrets (see collectors.secrets.redact).
        """
        now = datetime.now(UTC)
        path = self.raw_root / source / f"{now:%Y-%m-%d}.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        line = json.dumps({"archived_at": now.isoformat(), "source": source, **meta, "body": text}, ensure_ascii=False)
        # one whole gzip member per append, in one write: a kill cannot leave half a member for later appends to follow
        member = memoryview(gzip.compress((line + "\n").encode("utf-8")))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            while member:
                member = member[os.write(fd, member):]
        finally:
            os.close(fd)
        return path

    def iter_raw(self, source: str) -> Iterator[dict[str, Any]]:
        """Read archived raw responses back; a response cut short (a run killed mid-append) is skipped, the rest read."""
        for path in sorted((self.raw_root / source).glob("*.jsonl.gz")):
            read = 0
            try:
                # bytes, decoded line by line: a cut-short member followed by the next one's header inflates to garbage
                # that is not UTF-8, which a text-mode reader raised on before zlib noticed the damage
                with gzip.open(path, "rb") as fh:
                    for line in fh:
                        with suppress(ValueError):  # JSONDecodeError, or UnicodeDecodeError on a garbled line
                            yield json.loads(line)
                            read += 1
            except (EOFError, OSError, zlib.error):
                parsed = 0  # counted as above (a garbled line parses as nothing), so none is yielded twice
                for line in _whole_member_lines(path.read_bytes()):
                    with suppress(ValueError):
                        record = json.loads(line)
                        parsed += 1
                        if parsed > read:
                            yield record


def _whole_member_lines(data: bytes, chunk: int = 1 << 13) -> Iterator[str]:
    """The lines of every complete gzip member of `data`; a broken or cut-short member is skipped (reading resumes
    at the next member header)."""
    start, view = 0, memoryview(data)
    while start < len(data):
        inflater, pos, out = zlib.decompressobj(wbits=31), start, []
        try:
            while not inflater.eof and pos < len(data):
                out.append(inflater.decompress(view[pos:pos + chunk]))
                pos += chunk
        except zlib.error:
            pass
        if inflater.eof:
            # split at newlines only, as the first pass reads: str.splitlines would also split at U+2028 in a body
            yield from (line.decode("utf-8", errors="replace") for line in b"".join(out).split(b"\n") if line)
            start = min(pos, len(data)) - len(inflater.unused_data)
            continue
        following = data.find(_GZIP_MAGIC, start + 1)
        if following < 0:
            return
        start = following


_GZIP_MAGIC = b"\x1f\x8b\x08"
_AT = "@＠﹫"  # the at signs clean_text reads as @ (NFKC): an input method in full-width mode types ＠
_MENTION_END = f"\\s{_AT}:：,，。!！?？/)）"  # what ends an @mention (RE2 class body)
_KEPT_AT = "\ue000"  # stands in for the @ of a public name's mention while the others are masked
# Weibo writes a video link as "<poster's nickname>的微博视频" (older posts: 的秒拍视频)
# the characters of a Weibo nickname (RE2 class body): Chinese, letters, digits, _ and - by Weibo's rules (full-width
# forms too). Not \\p{L}\\p{N}: repeated {2,30} that class takes RE2 ~12 ms to compile, paid by every query on the view
_NICK = "\\p{Han}A-Za-z0-9０-９Ａ-Ｚａ-ｚ_\\-·"
_VIDEO_CARD = "的(微博|秒拍)视频"
_KEPT_CARD = "\ue001"  # marks a public name's video card while the others are masked
# links in text to a user's profile or posts name the account by id or handle: weibo.com/u/<uid>, weibo.com/<uid>/<bid>,
# m.weibo.cn/profile/<uid>, space.bilibili.com/<mid>; weibo.com/n/<nickname>, bsky.app/profile/<handle or DID>;
# twitter.com/<name>/status/… and x.com/<name> (a 4CAT export's tweets link others'; the site's own pages such as
# x.com/search are masked too: RE2 has no look-ahead, and each extra expression costs every query on the view its
# compilation). The account becomes (user) as a mention does; /@name links are masked as mentions.
_PROFILE_HOSTS = ("weibo.c", "bsky.app/profile/", "space.bilibili.com/", "twitter.com/", "x.com/")
_PROFILE_LINKS = (r"((?:^|[^0-9A-Za-z.])(?:www\.|m\.)?weibo\.c(?:om|n)/(?:u/|profile/)?|space\.bilibili\.com/)[0-9]{5,}",
                  r"((?:weibo\.c(?:om|n)/n|bsky\.app/profile)/)[^/\s?#)）]+",
                  r"((?:^|[^0-9A-Za-z.-])(?:www\.|mobile\.)?(?:twitter|x)\.com/)[A-Za-z0-9_]{1,15}")


# One row per news article however many sources carried it: the RSS feed and GDELT (or an import) store copies of one
# article under their own ids, which would count it once per source in every figure. Copies are news articles
# (kind 'article') whose addresses are the same page (collectors.urls.canonical_url); social posts keep their own ids
# whatever they link to. The copy with the most text stands for the rest (then the first by source and id, so the
# choice is stable): it carries every copy's trackers, and `merged_from` names the other copies (source:id; NULL for
# a record that stands for no other). Read time, not write time: every copy stays stored (compaction keeps them all),
# the merge does not depend on the order the copies arrived in, and stores written before it merge too. Articles and
# the rest are deduplicated apart (one pass each, where a shared one was materialised with every column): a record's
# versions share its kind, which no collector or importer changes.
_MERGED_ARTICLES_SQL = """
    WITH articles AS ({latest} WHERE kind = 'article' QUALIFY {newest}),
    copies AS (
      SELECT source, id, trackers, count(*) OVER w AS n, list(source || ':' || {shown_id}) OVER w AS ids,
             flatten(list(trackers) OVER w) AS tags,
             row_number() OVER (w ORDER BY length(coalesce(text, '')) + length(coalesce(title, '')) DESC, source, id)
               AS rank
      FROM (SELECT *, canonical_url(url) AS article FROM articles) WHERE article IS NOT NULL
      WINDOW w AS (PARTITION BY article)),
    merges AS (
      SELECT source AS m_source, id AS m_id, rank = 1 AS m_keep,
             list_concat(trackers, list_sort(list_distinct(list_filter(tags, lambda t: NOT list_contains(trackers, t)))))
               AS m_trackers,
             list_filter(ids, lambda k: k <> source || ':' || {shown_id}) AS merged_from
      FROM copies WHERE n > 1)
    SELECT *, NULL::VARCHAR[] AS merged_from FROM ({latest} WHERE kind IS DISTINCT FROM 'article' QUALIFY {newest})
    UNION ALL BY NAME
    SELECT a.* REPLACE (coalesce(m.m_trackers, a.trackers) AS trackers), m.merged_from
    FROM articles a LEFT JOIN merges m ON a.source = m.m_source AND a.id = m.m_id
    WHERE m.m_keep IS NOT FALSE"""


# Verified accounts (source, author_id, their verification type): verification is the account's, so a record of one
# without it (a comment collected apart, an importer that lacks the field) is the account's too.
VERIFIED_ACCOUNTS_SQL = ("SELECT source, author_id, max(author_verified_type) AS verified_type FROM {records} "
                         "WHERE author_verified_type BETWEEN 0 AND 7 AND author_id IS NOT NULL GROUP BY ALL")


# written by `with_public_columns`, read by `add_public_view(premasked=...)` (and kept out of the `records` view)
PUBLIC_COLUMNS = ("author_public", "text_public", "title_public")


def _author_public_sql(names: str) -> str:
    """Whether a record's author is shown by name: a news article's, a verified account's, or a public name (`names`:
    a subquery or list of them)."""
    return f"kind = 'article' OR author_verified_type BETWEEN 0 AND 7 OR author_name IN {names}"


def with_public_columns(relation: str, public_names: Iterable[str]) -> str:
    """SQL for the rows of `relation` (records whose verification is already the account's on each of them, see
    `VERIFIED_ACCOUNTS_SQL`) with PUBLIC_COLUMNS added: whether the author is public, and the text and title masked as
    records_public shows them (NULL where masking changes nothing, as for most records); urls redacted. Masking once, where the
    rows are written (the dashboard's snapshot), spares every query on the view planning the regular expressions."""
    names = sorted({n for n in public_names if n})
    listed = "(" + ", ".join("'" + n.replace("'", "''") + "'" for n in names) + ")" if names else "(SELECT NULL WHERE false)"
    return f"""SELECT * EXCLUDE (linked_text, linked_title) REPLACE ({_redacted_sql('url')} AS url),
                      ({_author_public_sql(listed)}) AS author_public,
                      nullif({_masked_mentions_sql('linked_text', names)}, text) AS text_public,
                      nullif({_masked_mentions_sql('linked_title', names)}, title) AS title_public
               FROM (SELECT *, {_masked_links_sql('text')} AS linked_text, {_masked_links_sql('title')} AS linked_title
                     FROM ({relation}))"""


def _masked_mentions_sql(column: str, public_names: Iterable[str]) -> str:
    """SQL for `column` with every @mention, and the nickname on a Weibo video card, masked as (user), except
    where the name is exactly a public name."""
    kept = sorted({n.lstrip("@") for n in public_names} - {""}, key=len, reverse=True)
    kept = [n for n in kept if not re.search(f"[{_MENTION_END}]", n)]  # such a name is never one whole mention
    names = "|".join(re.escape(n) for n in kept).replace("'", "''")

    def mentions(sql: str) -> str:
        if names:
            sql = f"regexp_replace({sql}, '@({names})([{_MENTION_END}]|$)', '{_KEPT_AT}\\1\\2', 'g')"
        sql = f"regexp_replace({sql}, '[{_AT}][^{_MENTION_END}]+', '@(user)', 'g')"
        return f"replace({sql}, '{_KEPT_AT}', '@')" if names else sql

    def cards(sql: str) -> str:
        if names:
            sql = f"regexp_replace({sql}, '(^|[^{_NICK}])({names}){_VIDEO_CARD}', '\\1\\2{_KEPT_CARD}的\\3视频', 'g')"
        sql = f"regexp_replace({sql}, '[{_NICK}]{{2,30}}{_VIDEO_CARD}', '(user)的\\1视频', 'g')"
        return f"replace({sql}, '{_KEPT_CARD}', '')" if names else sql

    # the regular expressions only where they can match: most texts have no @, no video and no profile link
    has_at = " OR ".join(f"contains({column}, '{at}')" for at in _AT)
    text = f"(CASE WHEN {has_at} THEN {mentions(column)} ELSE {column} END)"
    return f"(CASE WHEN contains({column}, '视频') THEN {cards(text)} ELSE {text} END)"


_MASKED = "\ue002"  # stands in for an account already masked, (user), while a text is masked again


def public_text_sql(column: str, public_names: Iterable[str] = ()) -> str:
    """SQL for free text in `column` (not a record's: a labelled file's) masked as records_public masks a record's
    text: @mentions and the account in profile links; a text already masked comes out unchanged."""
    protected = f"replace({column}, '(user)', '{_MASKED}')"
    return f"replace({_masked_mentions_sql(_masked_links_sql(protected), public_names)}, '{_MASKED}', '(user)')"


def _redacted_sql(expr: str) -> str:
    """SQL for the address `expr` with its credential parameters redacted as a record's url is on the way in
    (collectors.secrets.redact_url): a store written before that rule shows none either."""
    params = f"regexp_replace({expr}, '{SENSITIVE_PARAMS_SQL}', '\\1={REDACTED}', 'g')"
    return (f"(CASE WHEN contains({expr}, '=') OR contains({expr}, '@') THEN "
            f"regexp_replace({params}, '{USERINFO_SQL}', '\\1{REDACTED}@', 'g') ELSE {expr} END)")


def _masked_links_sql(column: str) -> str:
    """SQL for `column` with the account in a link to a user's profile or post masked as (user) (any user's)."""
    sql = column
    for pattern in _PROFILE_LINKS:
        sql = f"regexp_replace({sql}, '{pattern}', '\\1(user)', 'g')"
    has_link = " OR ".join(f"contains({column}, '{host}')" for host in _PROFILE_HOSTS)
    return f"(CASE WHEN {has_link} THEN {sql} ELSE {column} END)"


def _partitions(table: pa.Table, column: str | None) -> Iterator[tuple[str | None, pa.Table]]:
    """(directory, rows) per UTC month of the timestamp `column`, rows in day order: one stable sort, then
    contiguous slices.

    By month, not by day: a batch spanning 244 days wrote 244 small files, where each file's fixed cost (a writer,
    an encoder, a dictionary and a codec per column) was most of the import's time. Stores written with day
    directories (`date=YYYY-MM-DD`) read unchanged beside month ones: readers take every file, whatever its folder.
    """
    if column is None or table.num_rows == 0:  # no rows (a compaction that dropped them all): one empty file
        yield None, table
        return
    stamps = table[column]
    micros = pc.cast(pc.cast(stamps, pa.timestamp("us", tz=stamps.type.tz)), pa.int64())
    days = np.floor_divide(pc.fill_null(micros, 0).to_numpy(), _DAY_US)
    unknown = pc.is_null(micros).to_numpy(zero_copy_only=False)
    days[unknown] = _UNKNOWN
    order = np.argsort(days, kind="stable")
    if (order != np.arange(len(order))).any():
        table = table.take(pa.array(order))
        days, unknown = days[order], unknown[order]
    months = np.where(unknown, _UNKNOWN, np.where(unknown, 0, days).astype("datetime64[D]").astype("datetime64[M]")
                      .astype(np.int64))
    bounds = np.flatnonzero(np.diff(months)) + 1
    for start, end in zip(np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [len(months)]]).tolist(),
                          strict=True):
        month = int(months[start])
        name = "unknown" if month == _UNKNOWN else str(np.datetime64(month, "M"))
        yield f"month={name}", table.slice(start, end - start)


_DAY_US = 86_400_000_000
_UNKNOWN = np.iinfo(np.int64).max  # rows without a timestamp: partition month=unknown, sorted last


_LONG_TEXT = frozenset({"text", "title"})


def _compression(schema: pa.Schema) -> dict[str, str]:
    """zstd for the long free-text columns, snappy for the rest.

    A batch spread over many months writes several small files, where a codec's set-up per column chunk
    weighs against the data: zstd's costs about twice snappy's, and pays for itself only on long text (on the
    100k-record benchmark's ten month files, zstd throughout would save a quarter of the bytes for ~6% more time).
    """
    return {name: "zstd" if name in _LONG_TEXT else "snappy" for name in schema.names}


def _write_parquet_files(parts: list[tuple[pa.Table, Path]]) -> None:
    """Write the files in parallel threads (the encoder releases the GIL); raise the first error."""
    if not parts:
        return
    compression = _compression(parts[0][0].schema)
    if len(parts) < 2:
        for part, path in parts:
            pq.write_table(part, path, compression=compression)
        return
    with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1, 4)) as pool:
        for future in [pool.submit(pq.write_table, part, path, compression=compression) for part, path in parts]:
            future.result()


def atomic_write_text(path: Path, text: str) -> None:
    """Write `path` whole or not at all (see `atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file for the block to write `path`'s new content into, renamed onto `path` when the block ends:
    its name is no other writer's (it carries this process's id, for `remove_stale_temps`), and it is removed if
    the block fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def temp_path(path: Path) -> Path:
    """A temporary name beside `path` that no other writer uses (two writers of one file must not write into one
    temporary file); it carries this process's id, for `remove_stale_temps`."""
    return path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files of `path` that `atomic_write_text` left in a process since killed."""
    removed = []
    for tmp in path.parent.glob(f"{glob.escape(path.name)}.*-*.tmp"):
        pid = tmp.name[len(path.name) + 1:].split("-", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _process_alive(pid: int) -> bool:
    if os.name != "posix":  # Windows' os.kill terminates the process: never probe there, keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: alive
        return True
    return True


# how DuckDB names a file it could not read: opened, or (listed explicitly) found
_UNREADABLE_FILE = re.compile(r'(?:Cannot open file|No files found that match the pattern) "([^"*?\[]+)"')


def removed_while_read(exc: BaseException) -> bool:
    """`exc` is DuckDB failing on a store file that is gone: not damage, but the store changing under the reader (a
    compaction replaced the file after the reader listed it); reading again sees the new state."""
    found = isinstance(exc, duckdb.IOException) and _UNREADABLE_FILE.search(str(exc))
    return bool(found) and not os.path.exists(found.group(1))


_WRITING: set[tuple[int, Path]] = set()  # (thread, store) pairs inside the writer lock
_HELD_LOCKS: set[int] = set()  # descriptors of the locks this process holds


def _drop_held_locks() -> None:
    """In a forked child: let go of the parent's locks. A child shares its parent's lock (one open file), so
    orphaned pool workers of a killed parent kept it held; each descriptor now names /dev/null instead (not closed:
    the number then stays taken, so the file object's eventual close cannot close an unrelated file)."""
    for fd in _HELD_LOCKS:
        with suppress(OSError):
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, fd)
            os.close(null)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_held_locks)


@contextmanager
def file_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) inside the block, waiting for any other holder;
    `on_wait` is called first when another holds it (to say why nothing happens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        if fcntl is not None:  # released when the file is closed, also if the process dies
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                fcntl.flock(fh, fcntl.LOCK_EX)
        _HELD_LOCKS.add(fh.fileno())
        try:
            yield
        finally:
            _HELD_LOCKS.discard(fh.fileno())


def open_store(data_dir: str | os.PathLike[str] | None = None) -> Store:
    return Store(data_dir)


__all__ = ["BUILTIN_DATASETS", "RECORDS", "TRENDS", "DatasetSpec", "Store", "StoreError", "WriteResult",
           "atomic_path", "atomic_write_text", "file_lock", "open_store", "remove_stale_temps", "removed_while_read", "temp_path"]


def _scan_parquet(folder: Path, parts: tuple[str, ...], out: list[tuple[tuple[str, ...], int]]) -> None:
    """Every *.parquet file under `folder` (as rglob finds them) with its mtime in ns, keyed by its path parts."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _scan_parquet(Path(entry.path), (*parts, entry.name), out)
        elif entry.name.endswith(".parquet") and entry.is_file():
            out.append(((*parts, entry.name), entry.stat().st_mtime_ns))
