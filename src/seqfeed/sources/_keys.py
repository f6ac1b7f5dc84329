"""First pass of `read_table`: the id, time and target columns of every row.

Ids become non-negative int64 group keys ``g``: integer ids with a compact range are
used as they are (``id - min``, so groups sort by id value); other ids are
dictionary-encoded batch by batch into one code space (order of first appearance),
and re-coded to their sorted rank when the sequences are to be sorted by id.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import DataError
from ._arrow_source import Encoder, first_null, is_stringlike, plain, time_to_numpy


class _Column:
    """Collects NumPy chunks; preallocates when the row count is known."""

    def __init__(self, n_rows, dtype):
        self._out = None if n_rows is None else np.empty(n_rows, dtype=dtype)
        self._parts = []
        self._n = 0
        self._dtype = dtype

    def add(self, a):
        if self._out is not None and self._n + a.shape[0] <= self._out.shape[0]:
            self._out[self._n:self._n + a.shape[0]] = a
        else:
            if self._out is not None:  # more rows than announced: fall back to chunks
                self._parts.append(self._out[:self._n])
                self._out = None
            self._parts.append(np.asarray(a, dtype=self._dtype))
        self._n += a.shape[0]

    def result(self):
        if self._out is not None:
            return self._out[:self._n]
        if not self._parts:
            return np.zeros(0, dtype=self._dtype)
        # always a new array: parts may be read-only views of Arrow (or caller) memory
        return np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0].copy()


class Keys:
    """Per-row keys of the kept rows (rows are numbered 0..n-1 after dropping)."""

    def __init__(self):
        self.id_name = self.time_name = self.target_name = None
        self.n_rows = 0            # rows read, before dropping
        self.kept = None           # int64 input row of each kept row, or None (all kept)
        self.g = None              # int64 group key per kept row
        self.g_max = 0
        self.time = None           # int64/float64 per kept row, or None
        self.time_type = None
        self.target = None         # numbers, or int32 label codes
        self.target_is_label = False
        self._id_base = None       # int ids: id = g + base
        self._id_lookup = None     # other ids: id = lookup[g]
        self._labels = None

    # ------------------------------------------------------------------ lookups
    def orig_row(self, row: int) -> int:
        return int(row) if self.kept is None else int(self.kept[row])

    def ids_of(self, group_keys: np.ndarray) -> np.ndarray:
        if self._id_base is not None:
            return group_keys + np.int64(self._id_base)
        return self._id_lookup[group_keys]

    def id_at(self, row: int):
        return self.ids_of(self.g[row:row + 1])[0].item()

    def time_str(self, row: int) -> str:
        v = self.time[row].item()
        t = self.time_type
        if t is not None and pa.types.is_uint64(t):
            from ._arrow_source import uint64_time

            return repr(uint64_time(v))
        if t is not None and not (pa.types.is_integer(t) or pa.types.is_floating(t)):
            try:
                base = pa.int32() if pa.types.is_date32(t) or pa.types.is_time32(t) else pa.int64()
                return str(pa.array([v], base).cast(t)[0].as_py())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # pragma: no cover
                pass
        return repr(v)

    def target_values(self, stored: np.ndarray) -> np.ndarray:
        return self._labels[stored] if self.target_is_label else stored

    def target_str(self, row: int) -> str:
        return repr(self.target_values(self.target[row:row + 1])[0].item())


def read_keys(op, src, *, id, time, target, features, drop_nan: bool) -> Keys:
    """Read the id/time/target columns (and, for ``nan="drop"``, the finiteness of rows)."""
    keys = Keys()
    keys.id_name, keys.time_name, keys.target_name = id, time, target
    schema = src.schema

    def vtype(col):
        t = schema.field(col).type
        return t.value_type if pa.types.is_dictionary(t) else t

    id_type = vtype(id)
    int_ids = (pa.types.is_integer(id_type) or pa.types.is_boolean(id_type)) \
        and not pa.types.is_uint64(id_type)
    id_enc = None if int_ids else Encoder()
    target_label = target is not None and is_stringlike(vtype(target))
    target_enc = Encoder() if target_label else None
    keys.time_type = None if time is None else vtype(time)
    n = src.num_rows
    ids = _Column(n, np.int64 if int_ids else np.int32)
    times = None if time is None else _Column(n, np.float64 if pa.types.is_floating(
        keys.time_type) or pa.types.is_decimal(keys.time_type) else np.int64)
    targets = None
    finite = [] if drop_nan else None
    columns = [c for c in (id, time, target) if c is not None]
    if drop_nan:
        columns += [f for f in features if f not in columns]
    row0 = 0
    for batch in src.batches(columns):
        m = batch.num_rows
        idcol = plain(batch.column(id))
        if idcol.null_count:
            r = first_null(idcol)
            raise DataError(f"{op}: the id column {id!r} is null at row {row0 + r}.", argument="id", column=id,
                            index=row0 + r, received="null", fix="drop or fill the rows without an id first")
        if int_ids:
            ids.add(_int_ids(idcol))
        else:
            if is_stringlike(idcol.type) and idcol.null_count < len(idcol):
                blank = pc.fill_null(pc.match_substring_regex(idcol, r"^\s*$"), False) if \
                    pa.types.is_string(idcol.type) or pa.types.is_large_string(idcol.type) else \
                    pc.fill_null(pc.equal(pc.binary_length(idcol), 0), False)
                if pc.any(blank).as_py():
                    r = int(np.flatnonzero(np.asarray(blank))[0])
                    raise DataError(f"{op}: the id column {id!r} is empty at row {row0 + r}.", argument="id", column=id,
                                    index=row0 + r, received=idcol[r].as_py(),
                                    fix="drop or fill the rows without an id first")
            ids.add(id_enc.encode(idcol))
        if time is not None:
            tcol = plain(batch.column(time))
            if tcol.null_count:
                r = first_null(tcol)
                raise DataError(
                    f"{op}: the time column {time!r} is null at row {row0 + r} (id "
                    f"{idcol[r].as_py()!r}).", argument="time", column=time, index=row0 + r,
                    received="null", fix="drop or fill the rows without a time first, or pass time=None")
            tv = time_to_numpy(tcol)
            if tv.dtype.kind == "f" and not np.isfinite(tv).all():
                r = int(np.flatnonzero(~np.isfinite(tv))[0])
                raise DataError(
                    f"{op}: the time column {time!r} holds {tv[r]} at row {row0 + r} (id "
                    f"{idcol[r].as_py()!r}).", argument="time", column=time, index=row0 + r,
                    received=float(tv[r]), fix="drop or fill those rows first")
            times.add(tv)
        if target is not None:
            gcol = plain(batch.column(target))
            tv = None if target_label or gcol.null_count else _numeric_target(gcol)
            bad = first_null(gcol) if gcol.null_count else None
            if bad is None and tv is not None and tv.dtype.kind == "f" and np.isnan(tv).any():
                bad = int(np.flatnonzero(np.isnan(tv))[0])
            if bad is not None:
                raise DataError(
                    f"{op}: the target column {target!r} holds "
                    f"{'a null' if gcol.null_count else 'NaN'} at row {row0 + bad} (id "
                    f"{idcol[bad].as_py()!r}).", argument="target", column=target, index=row0 + bad,
                    received="null" if gcol.null_count else float("nan"), code="missing_target",
                    fix="drop the rows without a target (or fill them) before reading")
            if target_label:
                tv = target_enc.encode(gcol)
            if targets is None:
                targets = _Column(n, tv.dtype)
            targets.add(tv)
        if drop_nan:
            finite.append(_finite_rows(batch, features, m))
        row0 += m
    keys.n_rows = row0
    id_arr = ids.result()
    time_arr = None if times is None else times.result()
    target_arr = None if target is None else (
        targets.result() if targets is not None else np.zeros(0, dtype=np.int32 if target_label
                                                              else np.float64))
    if drop_nan and finite and not all(f.all() for f in finite):
        kept = np.flatnonzero(np.concatenate(finite))
        keys.kept = kept
        id_arr = id_arr[kept]
        time_arr = None if time_arr is None else time_arr[kept]
        target_arr = None if target_arr is None else target_arr[kept]
    keys.time = time_arr
    if target is not None:
        keys.target = target_arr
        keys.target_is_label = target_label
        if target_label:
            keys._labels = target_enc.values()
    _group_keys(keys, id_arr, id_enc)
    return keys


def _int_ids(col) -> np.ndarray:
    if pa.types.is_boolean(col.type):
        col = col.cast(pa.int64())
    return col.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _numeric_target(col) -> np.ndarray:
    if pa.types.is_decimal(col.type):
        col = pc.cast(col, pa.float64(), safe=False)
    return col.to_numpy(zero_copy_only=False)


def _finite_rows(batch, features, m) -> np.ndarray:
    ok = np.ones(m, dtype=bool)
    for f in features:
        col = batch.column(f)
        if pa.types.is_floating(col.type):
            ok &= pc.fill_null(pc.is_finite(col), False).to_numpy(zero_copy_only=False)
        elif col.null_count:
            ok &= col.is_valid().to_numpy(zero_copy_only=False)
    return ok


def _group_keys(keys: Keys, id_arr: np.ndarray, id_enc) -> None:
    """Set ``keys.g``/``g_max`` and how group keys map back to ids."""
    n = id_arr.shape[0]
    if id_enc is None and n:
        lo, hi = int(id_arr.min()), int(id_arr.max())
        if (hi - lo).bit_length() <= max(n - 1, 1).bit_length() + 2:  # compact: use the value
            id_arr -= np.int64(lo)
            keys.g, keys.g_max, keys._id_base = id_arr, hi - lo, lo
            return
        enc = pc.dictionary_encode(pa.array(id_arr))  # sparse integers: dense codes
        codes = enc.indices.to_numpy(zero_copy_only=False)
        uniques = enc.dictionary.to_numpy(zero_copy_only=False)
        rank = np.empty(uniques.shape[0], dtype=np.int64)
        rank[np.argsort(uniques, kind="stable")] = np.arange(uniques.shape[0])
        keys.g = rank[codes]
        keys.g_max = max(uniques.shape[0] - 1, 0)
        keys._id_lookup = np.sort(uniques)
        return
    if id_enc is None:  # no rows
        keys.g, keys.g_max, keys._id_base = id_arr, 0, 0
        return
    values = id_enc.values()
    keys.g_max = max(values.shape[0] - 1, 0)
    # codes are in order of first appearance; re-code to sorted rank (cheap: one gather)
    order = np.argsort(values, kind="stable")
    rank = np.empty(values.shape[0], dtype=np.int64)
    rank[order] = np.arange(values.shape[0])
    keys.g = rank[id_arr]
    keys._id_lookup = values[order]
