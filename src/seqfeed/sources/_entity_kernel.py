"""The per-entity kernel: long rows of whole entities -> one shards row per sequence.

``pack_entities`` is the one function every packing engine calls (``seqfeed pack``
on each in-memory chunk of whole entities, Spark's ``groupBy(id).applyInArrow`` on
each group), so every engine gives the same sequences. It is pure PyArrow/NumPy:
the rows go through :func:`~seqfeed.sources.read_table` itself, so the NaN policy,
the duplicate policy, the time order and the named errors are exactly those of
``read_table`` on the same rows.

The split is a pure function of the id (entity split) or of the time (time split),
so it does not depend on which rows share a chunk:

* ``"entity:F"`` — a fraction F of the entities (by a stable hash) go to "test";
  ``"entity:V,F"`` — V to "validation" and F to "test"; the rest to "train".
  The hash is the first 8 bytes of ``blake2b(str(id).encode("utf-8"),
  person=b"seqfeed-split")`` read as a little-endian uint64 and divided by 2**64:
  ``u < F`` -> test, ``u < F + V`` -> validation. It never depends on Python's
  salted ``hash()``, the engine, the number of chunks or the machine.
* ``"time:CUTOFF"`` — each entity's steps with ``time < CUTOFF`` form its "train"
  sequence and the steps at or after the cutoff its "test" sequence (CUTOFF is
  parsed in the time column's type: an integer, a float or a timestamp such as
  ``2024-06-01``). An entity with steps on one side only has one sequence.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from .._errors import ConfigError, SeqfeedError

__all__ = ["pack_entities", "Split", "parse_split", "entity_split", "OP"]

OP = "pack"
_PERSON = b"seqfeed-split"
_ROW = re.compile(r"\brow (\d+)")


@dataclass(frozen=True)
class Split:
    method: str                 # "entity" or "time"
    validation: float = 0.0
    test: float = 0.0
    cutoff: str | None = None

    def describe(self) -> dict:
        if self.method == "entity":
            return {"method": "entity", "validation": self.validation, "test": self.test,
                    "hash": "blake2b-64(str(id), person='seqfeed-split') / 2**64: "
                            "< test -> test, < test + validation -> validation"}
        return {"method": "time", "cutoff": self.cutoff,
                "rule": "time < cutoff -> train, time >= cutoff -> test"}


def parse_split(split, op: str = OP) -> Split | None:
    """``None``, ``"entity:0.2"``, ``"entity:0.1,0.2"`` (validation, test) or ``"time:CUTOFF"``."""
    if split is None or isinstance(split, Split):
        return split
    fix = "pass split='entity:0.2' (20% of the ids to test), 'entity:0.1,0.2' (validation, test) " \
          "or 'time:CUTOFF'"
    if not isinstance(split, str) or ":" not in split:
        raise ConfigError(f"{op}: `split` must be 'entity:FRACTION' or 'time:CUTOFF'. "
                          f"Received: split={split!r}.", argument="split", received=split, fix=fix)
    method, _, arg = split.partition(":")
    if method == "time":
        if not arg:
            raise ConfigError(f"{op}: `split` 'time:' needs a cutoff. Received: split={split!r}.",
                              argument="split", received=split, fix=fix)
        return Split("time", cutoff=arg)
    if method != "entity":
        raise ConfigError(f"{op}: `split` must start with 'entity:' or 'time:'. Received: "
                          f"split={split!r}.", argument="split", received=split, fix=fix)
    try:
        parts = [float(x) for x in arg.split(",")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or any(not (0.0 <= p < 1.0) for p in parts) or sum(parts) >= 1.0:
        raise ConfigError(f"{op}: `split` 'entity:' takes one or two fractions in [0, 1) summing to "
                          f"less than 1. Received: split={split!r}.", argument="split",
                          received=split, fix=fix)
    return Split("entity", validation=parts[0] if len(parts) == 2 else 0.0, test=parts[-1])


def entity_unit(ids) -> np.ndarray:
    """float64 in [0, 1) per id: the stable hash of ``str(id)`` (see the module docstring)."""
    out = np.empty(len(ids), dtype=np.float64)
    for i, v in enumerate(np.asarray(ids).tolist()):
        b = v if isinstance(v, bytes) else str(v).encode("utf-8")
        h = hashlib.blake2b(b, digest_size=8, person=_PERSON).digest()
        out[i] = int.from_bytes(h, "little") / 18446744073709551616.0
    return out


def entity_split(ids, validation: float, test: float) -> np.ndarray:
    """Split name per id ("train", "validation" or "test"), a pure function of each id."""
    u = entity_unit(ids)
    out = np.full(u.shape[0], "train", dtype=object)
    out[u < test + validation] = "validation"
    out[u < test] = "test"
    return out


def _cutoff_scalar(cutoff: str, typ, time: str):
    import pyarrow as pa

    from ._arrow_source import plain  # noqa: F401  (same conversions as read_table)

    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    try:
        if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            s = pa.scalar(cutoff).cast(pa.timestamp("us", tz=getattr(typ, "tz", None)))
            return s.cast(typ) if pa.types.is_timestamp(typ) else s.cast(pa.date32()).cast(typ)
        if pa.types.is_integer(typ):
            return pa.scalar(int(cutoff), typ)
        return pa.scalar(float(cutoff), pa.float64())
    except (ValueError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise ConfigError(f"{OP}: the time cutoff {cutoff!r} cannot be read as a value of the time "
                          f"column {time!r} ({typ}).", argument="split", received=cutoff,
                          fix="give the cutoff in the column's type, e.g. time:1000 or "
                              "time:2024-06-01") from None


def _remap(e: SeqfeedError, rows, describe_row):
    """The read_table error ``e`` with chunk rows turned into input rows."""
    msg = e.message
    if msg.startswith("read_table:"):
        msg = OP + ":" + msg[len("read_table:"):]
    if rows is not None:
        def sub(m):
            r = int(m.group(1))
            if r < len(rows):
                g = int(rows[r])
                return describe_row(g) if describe_row else f"row {g}"
            return m.group(0)

        msg = _ROW.sub(sub, msg)
    index = e.index
    if rows is not None and index is not None and 0 <= index < len(rows):
        index = int(rows[index])
    return e.with_message(msg, index=index)


def pack_entities(table, *, id: str, time: str | None, features, target: str | None = None,
                  level: str = "sequence", nan: str = "error", duplicates: str = "error",
                  dtype="float32", split=None, row: str | None = None, describe_row=None):
    """Long rows of whole entities -> a shards table (one row per sequence).

    Args:
        table: a ``pyarrow.Table`` holding *every* row of the entities it holds (in
            any order; rows of one id with the same time are merged in table order,
            as ``read_table`` does in file order).
        id, time, features, target, level, nan, duplicates, dtype: as in
            :func:`~seqfeed.sources.read_table` (``features`` must be given).
        split: None, ``"entity:F"``, ``"entity:V,F"`` or ``"time:CUTOFF"`` (module
            docstring).
        row: optional int64 column holding each row's number in the whole input;
            errors then name that row instead of the row in ``table``.
        describe_row: optional ``f(row) -> str`` used in error messages (e.g.
            ``"row 12 of 'b.parquet'"``).

    Returns:
        A ``pyarrow.Table`` with columns ``id``, ``values``
        (``large_list<fixed_size_list<float32, F>>``), ``length`` (int64), ``target``
        or ``targets`` when a target is given, and ``split`` (string; null without a
        split). Rows are sorted by id (a time split: the "train" sequences, then the
        "test" ones). None when no sequence is left (e.g. every row dropped).

    Raises:
        DataError/ConfigError: as ``read_table`` would on the same rows (the
        operation is named ``pack``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._shards import sequence_table
    from ._table import read_table

    sp = parse_split(split)
    if sp is not None and sp.method == "time" and time is None:
        raise ConfigError(f"{OP}: a time split needs a time column. Received: time=None.",
                          argument="split", received=sp.cutoff,
                          fix="name the time column, or use split='entity:FRACTION'")
    features = list(features)

    def read(part):
        rows = part.column(row).to_numpy() if row is not None else None
        try:
            return read_table(part, id=id, time=time, target=target, features=features,
                              level=level, nan=nan, duplicates=duplicates, dtype=dtype), rows
        except SeqfeedError as e:
            raise _remap(e, rows, describe_row) from None

    if sp is not None and sp.method == "time":
        cut = _cutoff_scalar(sp.cutoff, table.schema.field(time).type, time)
        tcol = table.column(time)
        if pa.types.is_dictionary(tcol.type):
            tcol = tcol.cast(tcol.type.value_type)
        if pa.types.is_floating(cut.type) and not pa.types.is_floating(tcol.type):
            tcol = tcol.cast(pa.float64())
        before = pc.fill_null(pc.less(tcol, cut), True)  # null times: read_table names them
        out = []
        for name, mask in (("train", before), ("test", pc.invert(before))):
            part = table.filter(mask)
            if part.num_rows:
                seqs, _ = read(part)
                if len(seqs):
                    out.append(sequence_table(seqs, name))
        if not out:
            return None
        return pa.concat_tables(out) if len(out) > 1 else out[0]
    if table.num_rows == 0:
        return None
    seqs, _ = read(table)
    if len(seqs) == 0:
        return None
    if sp is None:
        return sequence_table(seqs, None)
    return sequence_table(seqs, entity_split(seqs.ids, sp.validation, sp.test))
