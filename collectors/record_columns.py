"""Validating whole columns of raw records at once (pyarrow compute), for the fast import path.

A row passes only if `Record` would certainly accept it and store the same values; every other row is
flagged so the caller validates it one by one with `parse_record` (which decides, and words the error).
So the column checks may be stricter than the model, never looser.
"""

from __future__ import annotations

from collections.abc import Container

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.models import KINDS, RECORD_SCHEMA, TIME_BASES

_TIMESTAMPS = ("published_at", "collected_at")
_UTC_US = pa.timestamp("us", tz="UTC")

# What a JSON line is read as: the stored schema, except timestamps stay text (checked here) and integers
# are read wide (their ranges are checked here, so an out-of-range value goes to the per-record path).
RAW_RECORD_SCHEMA = pa.schema([
    pa.field(f.name, pa.string() if f.name in _TIMESTAMPS else pa.int64() if pa.types.is_integer(f.type) else f.type)
    for f in RECORD_SCHEMA
])

# ISO 8601 with an explicit zone, the form exports and `isoformat()` write; other spellings go row by row.
_ISO_AWARE = (r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
              r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$")
# A character Python's str.strip() does not remove: the text has content (the model's own test, by column).
PYTHON_WHITESPACE = (0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                     0x2028, 0x2029, 0x202F, 0x205F, 0x3000)  # every c with chr(c).isspace() (a test checks)
_VISIBLE = "[^" + "".join(f"\\x{{{c:x}}}" for c in PYTHON_WHITESPACE) + "]"
_NON_NEGATIVE = ("author_followers", "likes", "comments", "shares")
_DEFAULTS: dict[str, pa.Scalar] = {"text": pa.scalar("", pa.string()), "synthetic": pa.scalar(False),
                                   "trackers": pa.scalar([], pa.list_(pa.string()))}


def validate_columns(raw: pa.Table, absent: Container[str] = ()) -> tuple[pa.Table, np.ndarray]:
    """(rows that pass, as RECORD_SCHEMA; indices into `raw` of the rows to validate one by one).

    `absent` names columns no row of `raw` had at all: they take the model's default instead of failing.
    """
    raw = raw.select(RAW_RECORD_SCHEMA.names)
    columns = {name: _filled(raw[name], name, absent) for name in raw.column_names}
    ok = _and(
        _not_null(columns["source"]), pc.match_substring_regex(columns["source"], r"^[a-z0-9][a-z0-9_.:-]*$"),
        pc.less_equal(pc.utf8_length(columns["source"]), 64),
        _not_null(columns["id"]), pc.greater_equal(pc.utf8_length(columns["id"]), 1),
        pc.less_equal(pc.utf8_length(columns["id"]), 512),
        pc.is_in(columns["kind"], value_set=pa.array(KINDS)),
        _not_null(columns["text"]), _not_null(columns["synthetic"]), _not_null(columns["trackers"]),
        _no_null_items(columns["trackers"]),
        _or_null(columns["lang"], pc.match_substring_regex(columns["lang"], r"^[a-z]{2}$")),
        pc.or_(pc.match_substring_regex(columns["text"], _VISIBLE),
               pc.fill_null(pc.match_substring_regex(columns["title"], _VISIBLE), False)),
        _or_null(columns["author_verified_type"], _between(columns["author_verified_type"], -2**31, 2**31 - 1)),
        *(_or_null(columns[name], pc.greater_equal(columns[name], 0)) for name in _NON_NEGATIVE),
        *(pc.match_substring_regex(columns[name], _ISO_AWARE) for name in _TIMESTAMPS),
        _or_null(columns["time_basis"], pc.is_in(columns["time_basis"], value_set=pa.array(TIME_BASES))),
    )
    ok = pc.fill_null(ok, False).to_numpy(zero_copy_only=False)
    good = pa.table(columns) if ok.all() else pa.table(columns).filter(pa.array(ok))
    stamps = {name: _to_utc(good[name]) for name in _TIMESTAMPS}
    not_dates = np.logical_or.reduce([bad for _, bad in stamps.values()])
    if not_dates.any():  # a date the calendar lacks (2026-02-30): the model words the error
        ok[np.flatnonzero(ok)[not_dates]] = False
        good = good.filter(pa.array(~not_dates))
    for name, (parsed, _) in stamps.items():
        parsed = parsed.filter(pa.array(~not_dates)) if not_dates.any() else parsed
        good = good.set_column(good.schema.get_field_index(name), name, parsed)
    return good.cast(RECORD_SCHEMA), np.flatnonzero(~ok)


def _filled(column: pa.ChunkedArray, name: str, absent: Container[str]) -> pa.ChunkedArray:
    if name in absent and name in _DEFAULTS:
        return pa.chunked_array([pa.repeat(_DEFAULTS[name], len(column))], type=column.type)
    return column


def _not_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.is_valid(column)


def _or_null(column: pa.ChunkedArray, check: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.or_kleene(pc.is_null(column), check)


def _between(column: pa.ChunkedArray, low: int, high: int) -> pa.ChunkedArray:
    return pc.and_(pc.greater_equal(column, low), pc.less_equal(column, high))


def _no_null_items(lists: pa.ChunkedArray) -> np.ndarray:
    items = pc.list_flatten(lists)
    bad = np.zeros(len(lists), dtype=bool)
    if items.null_count:
        parents = pc.list_parent_indices(lists).to_numpy()
        bad[parents[pc.is_null(items).to_numpy(zero_copy_only=False)]] = True
    return pa.array(~bad)


def _and(*checks: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    result = checks[0]
    for check in checks[1:]:
        result = pc.and_kleene(result, check)
    return result


def _to_utc(text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Parsed instants and a mask of the strings that are not real dates (parsed as null)."""
    try:
        return pc.cast(text, _UTC_US), np.zeros(len(text), dtype=bool)
    except pa.ArrowInvalid:
        parsed = []
        for value in text.to_pylist():
            try:
                parsed.append(pc.cast(pa.scalar(value), _UTC_US).value)
            except pa.ArrowInvalid:
                parsed.append(None)
        stamps = pa.chunked_array([pa.array(parsed, pa.int64()).cast(_UTC_US)])
        return stamps, stamps.is_null().to_numpy(zero_copy_only=False)


def with_tracker(table: pa.Table, tracker_id: str) -> pa.Table:
    """`trackers` with `tracker_id` appended where a row lacks it (as `_with_tracker` does per record)."""
    lists = table["trackers"].combine_chunks()
    items = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy()
    has = np.zeros(len(lists), dtype=bool)
    has[parents[pc.equal(items, tracker_id).to_numpy(zero_copy_only=False)]] = True
    if has.all():
        return table
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    old_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    offsets = np.concatenate([[0], np.cumsum(lengths + ~has)])
    take = np.full(offsets[-1], len(items))  # every slot not filled below takes the tracker id
    take[offsets[parents] + np.arange(len(items)) - old_starts[parents]] = np.arange(len(items))
    values = pa.concat_arrays([items, pa.array([tracker_id], pa.string())]).take(pa.array(take))
    tagged = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return table.set_column(table.schema.get_field_index("trackers"), "trackers", tagged)
