"""`read_table`: a long table (one row per time step) -> `SequenceSet`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .._errors import ConfigError, DataError, check_choice, check_float_dtype, check_int, warn
from ..core import SequenceSet
from . import _order

if TYPE_CHECKING:  # pragma: no cover
    from ._keys import Keys

__all__ = ["read_table"]

OP = "read_table"
LEVELS = ("sequence", "step")
NAN = ("error", "drop", "ffill", "zero")
DUPLICATES = ("error", "first", "last", "mean")
ID_ORDERS = ("sorted", "appearance")
NAN_FIX = ("pass nan='drop' to remove such rows, nan='ffill' to carry the last finite value of "
           "the same id forward, or nan='zero' to replace them with 0")


def read_table(source, *, id: str = "id", time: str | None = "time", target: str | None = None,
               features=None, level: str = "sequence", nan: str = "error",
               duplicates: str = "error", sort: bool = True, id_order: str | None = None,
               dtype="float32", chunk_rows: int = 1 << 18) -> SequenceSet:
    """Read a long table -- one row per time step -- into a :class:`~seqfeed.SequenceSet`.

    The table has an id column (which sequence a row belongs to), a time column (the
    order of steps within a sequence), numeric feature columns and optionally a
    target column. Files are read as a stream (Parquet by row groups, CSV by blocks),
    in two passes: the id/time/target columns first, which fixes where every row goes,
    then the feature columns, each batch written straight to its place in the output.
    The whole table is never held at once: peak memory is about the output
    ``(N_steps, F)`` plus 8 bytes per row (each row's destination) plus one batch; the
    key columns (about 26 bytes per row while sorting) are freed before the output is
    allocated. Grouping and sorting are vectorised (one SIMD sort of packed uint64
    keys); no Python code runs per row or per id.

    Args:
        source: a path (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``), a
            ``pyarrow.Table``/``RecordBatch``, or a pandas or polars ``DataFrame``.
        id: the id column: integers or strings. Null ids are an error.
        time: the time column: integers, timestamps/dates/durations (compared in their
            unit, time zones included) or floats. ``None``: no time column; rows of an
            id keep their input order.
        target: optional target column (numbers or strings/labels).
        features: feature column names, in output order. Default: every numeric
            column other than ``id``, ``time`` and ``target`` (non-numeric columns are
            then skipped with a warning).
        level: ``"sequence"``: the target must be constant within an id and becomes
            ``targets`` ``(n,)``; ``"step"``: one target per row, ``step_targets``
            ``(N_steps,)``.
        nan: what a NaN, +-inf or null in a feature does. ``"error"`` (default): raise,
            naming the column, id and row; ``"drop"``: remove the row before anything
            else (an id left without rows disappears); ``"ffill"``: use the last finite
            value of the same column and id, in time order (a non-finite first value
            of an id is still an error, as there is nothing to carry); ``"zero"``: use 0.
            Targets are never filled: a NaN or null target is always an error.
        duplicates: two rows of an id with the same time: ``"error"`` (default),
            ``"first"``/``"last"`` (keep the first/last in input order) or ``"mean"``
            (average the features; numeric step targets are averaged, label step
            targets must agree).
        sort: True (default): group rows by id and sort them by time within each id;
            the input may be in any order. False: the input must already be grouped
            by id (each id's rows contiguous) and in time order; nothing is moved,
            which is faster, and a violation is an error.
        id_order: order of the sequences: ``"sorted"`` by id value (default with
            ``sort=True``; the result then does not depend on the row order of the
            input) or ``"appearance"`` (order of first appearance; the only choice,
            and the default, with ``sort=False``).
        dtype: float dtype of the values, ``"float32"`` (default) or ``"float64"``.
        chunk_rows: rows read at a time (Parquet/tables; for CSV it sets the block
            size from the file's average row length). Larger chunks cost memory,
            smaller ones per-chunk overhead.

    Returns:
        A ``SequenceSet``: ``values`` ``(N_steps, F)`` in ``dtype``, sequences in
        ``id_order``, steps in time order, ``ids`` ``(n,)`` (int64 or str),
        ``feature_names`` the feature columns, and ``targets`` or ``step_targets``.
        Times are only used for ordering; they are not stored.

    Raises:
        ConfigError: an invalid option, or a named column that is not in the table
            (the message lists the available columns).
        DataError: unusable data; the message names the column, the id and the first
            offending row (0-based, counting data rows only).

    Example:
        >>> import pyarrow as pa
        >>> t = pa.table({"id": ["b", "a", "b", "a"], "time": [2, 1, 1, 2],
        ...               "x": [4.0, 2.0, 3.0, 1.0], "y": [1, 0, 1, 0]})
        >>> s = read_table(t, target="y")
        >>> s.ids.tolist(), s.offsets.tolist(), s.values[:, 0].tolist(), s.targets.tolist()
        (['a', 'b'], [0, 2, 4], [2.0, 1.0, 3.0, 4.0], [0, 1])
    """
    opts = check_options(id, time, target, features, level, nan, duplicates, sort, id_order,
                         dtype, chunk_rows)
    size = {}
    try:
        return _read_table(source, id, time, target, level, nan, duplicates, sort, opts, size)
    except MemoryError:
        raise _memory_error(size, opts["dtype"]) from None


def _memory_error(size, dt) -> DataError:
    rows, F = size.get("rows"), size.get("features")
    if rows is None:
        nbytes = size.get("file_bytes")
        what = f" (a {nbytes:,}-byte file; reading needs about as many bytes again per pass)" if nbytes else ""
        return DataError(f"{OP}: the table does not fit in memory{what}.", argument="source",
                         received=nbytes,
                         fix="read a part of it (fewer rows or features=...), pack it into sequence "
                             "shards first (seqfeed.sources.pack), or use a machine with more memory")
    need = rows * ((F or 1) * dt.itemsize + 8)
    return DataError(
        f"{OP}: the table does not fit in memory: {rows:,} rows x {F} features of {dt} need about "
        f"{need:,} bytes ({need / 2**30:,.2f} GiB) for the values and row order.",
        argument="source", received=rows,
        fix="read fewer feature columns (features=...), pass dtype='float32', split the file by id, "
            "or use a machine with more memory")


def _read_table(source, id, time, target, level, nan, duplicates, sort, opts, size):
    from ._arrow_source import open_source
    from ._keys import read_keys

    src = open_source(OP, source, opts["chunk_rows"])
    if isinstance(source, (str, os.PathLike)):
        size["file_bytes"] = os.path.getsize(source)
    try:
        feats = _resolve_columns(src.schema, id, time, target, opts["features"], src=src)
    except DataError as e:
        if opts["features"] is not None and e.argument in opts["features"]:
            raise _with_first_cell(e, src) from None
        raise
    size["rows"], size["features"] = src.num_rows, len(feats)
    keys = read_keys(OP, src, id=id, time=time, target=target, features=feats,
                     drop_nan=nan == "drop")
    size["rows"] = keys.n_rows
    order = _order_rows(keys, time, sort, opts["id_order"])
    ids = keys.ids_of(order.group_keys)
    if order.dup is not None and duplicates == "error":
        _raise_duplicate(keys, order, ids, time)
    steps = _order.merge_duplicates(order, duplicates)
    offsets = np.zeros(order.group_keys.shape[0] + 1, dtype=np.int64)
    np.cumsum(steps.lengths, out=offsets[1:])
    targets = step_targets = None
    if target is not None:
        if level == "sequence":
            targets = _sequence_targets(keys, order, ids, target)
        else:
            step_targets = _step_targets(keys, order, steps, ids, offsets, target)
    dest = _destinations(keys, order, steps)
    del order
    keys.time = keys.target = None  # free the key columns before the values arrive
    from ._features import read_features

    values = read_features(OP, src, feats, dest, steps, keys, offsets, ids, nan=nan,
                           dtype=opts["dtype"], fix=NAN_FIX)
    return SequenceSet(values, offsets, targets=targets, step_targets=step_targets, ids=ids,
                       feature_names=feats)


# --------------------------------------------------------------------------- options
def check_options(id, time, target, features, level, nan, duplicates, sort, id_order, dtype,
                  chunk_rows):
    """`read_table`'s options checked before any data is read (also used by the packers)."""
    for name, value, optional in (("id", id, False), ("time", time, True),
                                  ("target", target, True)):
        if not (isinstance(value, str) and value) and not (optional and value is None):
            raise ConfigError(
                f"{OP}: `{name}` must be a column name (a non-empty str)"
                + (" or None" if optional else "") + f". Received: {name}={value!r}.",
                argument=name, received=value)
    if features is not None:
        if isinstance(features, str) or not all(isinstance(f, str) for f in features):
            raise ConfigError(
                f"{OP}: `features` must be a list of column names. Received: features={features!r}.",
                argument="features", received=features,
                fix=f"pass a list, e.g. features={[features] if isinstance(features, str) else ['x']!r}")
        features = list(features)
        if not features:
            raise ConfigError(f"{OP}: `features` is empty. Received: features=[].",
                              argument="features", received=features,
                              fix="name at least one feature column, or pass features=None for "
                                  "every numeric column")
        repeated = sorted({f for f in features if features.count(f) > 1})
        if repeated:
            raise ConfigError(f"{OP}: `features` names {repeated} more than once.",
                              argument="features", received=features)
    roles = [(n, v) for n, v in (("id", id), ("time", time), ("target", target)) if v is not None]
    for i, (n1, v1) in enumerate(roles):
        for n2, v2 in roles[i + 1:]:
            if v1 == v2:
                raise ConfigError(f"{OP}: `{n1}` and `{n2}` name the same column {v1!r}.",
                                  argument=n2, received=v2)
        if features is not None and v1 in features:
            raise ConfigError(f"{OP}: the {n1} column {v1!r} is also listed in `features`.",
                              argument="features", received=features,
                              fix=f"remove {v1!r} from `features`")
    check_choice(OP, "level", level, LEVELS)
    check_choice(OP, "nan", nan, NAN)
    check_choice(OP, "duplicates", duplicates, DUPLICATES)
    if not isinstance(sort, (bool, np.bool_)):
        raise ConfigError(f"{OP}: `sort` must be True or False. Received: sort={sort!r}.",
                          argument="sort", received=sort)
    if id_order is not None:
        check_choice(OP, "id_order", id_order, ID_ORDERS)
    if not sort and id_order == "sorted":
        raise ConfigError(
            f"{OP}: id_order='sorted' needs sort=True (with sort=False nothing is moved, so "
            f"sequences come in order of appearance). Received: sort=False, id_order='sorted'.",
            argument="id_order", received=id_order,
            fix="pass sort=True, or leave id_order unset")
    dt = check_float_dtype(OP, dtype)
    return {"features": features, "id_order": id_order or ("sorted" if sort else "appearance"),
            "dtype": dt, "chunk_rows": check_int(OP, "chunk_rows", chunk_rows, minimum=1)}


def _resolve_columns(schema, id, time, target, features, src=None) -> list[str]:
    from ._arrow_source import is_numeric, is_stringlike, is_temporal

    names = list(schema.names)
    seen, repeated = set(), []
    for c in names:
        if c in seen and c not in repeated:
            repeated.append(c)
        seen.add(c)
    if repeated:
        raise DataError(f"{OP}: the table has more than one column named {repeated[0]!r}"
                        + (f" (also {repeated[1:]})" if len(repeated) > 1 else "")
                        + f". Columns: {names}.", argument=repeated[0], received=names,
                        fix="give every column a distinct name in the header")

    def missing(option, cols):
        if len(cols) == 1:
            what = f"column {cols[0]!r} (option `{option}`) is not in the table"
        else:
            what = f"columns {cols} (option `{option}`) are not in the table"
        return ConfigError(f"{OP}: {what}. Available columns: {names}.", argument=option,
                           received=cols[0] if len(cols) == 1 else cols,
                           fix=f"pass {option}= with names from the available columns")

    for option, col in (("id", id), ("time", time), ("target", target)):
        if col is not None and col not in names:
            raise missing(option, [col])

    def value_type(col):
        t = schema.field(col).type
        import pyarrow as pa

        return t.value_type if pa.types.is_dictionary(t) else t

    import pyarrow as pa

    it = value_type(id)
    if pa.types.is_null(it):
        raise DataError(f"{OP}: the id column {id!r} holds no values: the table has no data rows "
                        f"(only a header?) or the column is empty.", argument=id, received=str(it),
                        fix="pass a table with at least one row with an id")
    if not (pa.types.is_integer(it) or pa.types.is_boolean(it) or is_stringlike(it)):
        raise DataError(f"{OP}: the id column {id!r} must hold integers or strings. Received type {it}.",
                        argument=id, received=str(it),
                        fix="cast the ids to integers or strings first")
    if time is not None:
        tt = value_type(time)
        if not ((is_numeric(tt) and not pa.types.is_null(tt)) or is_temporal(tt)):
            raise DataError(
                f"{OP}: the time column {time!r} must hold integers, timestamps or numbers. "
                f"Received type {tt}.", argument=time, received=str(tt),
                fix="parse it first (e.g. pandas.to_datetime or pyarrow.compute.strptime), "
                    "or pass time=None to keep each id's rows in input order")
    if target is not None:
        gt = value_type(target)
        if not ((is_numeric(gt) and not pa.types.is_null(gt)) or is_stringlike(gt)):
            raise DataError(f"{OP}: the target column {target!r} must hold numbers or labels "
                            f"(strings). Received type {gt}.", argument=target, received=str(gt),
                            fix="cast the target to numbers or strings first")
    roles = {id, time, target}
    if features is not None:
        absent = [f for f in features if f not in names]
        if absent:
            raise missing("features", absent)
        bad = [f for f in features if not is_numeric(schema.field(f).type)]
        if bad:
            good = [c for c in names if c not in roles and is_numeric(schema.field(c).type)]
            types = ", ".join(f"{c}: {schema.field(c).type}" for c in bad)
            raise DataError(f"{OP}: feature column(s) {bad} are not numeric ({types}).",
                            argument=bad[0], received=str(schema.field(bad[0]).type),
                            fix=(f"pass features= with numeric columns only, e.g. features={good!r}, "
                                 f"or encode the categories as numbers first") if good else
                            "convert those columns to numbers first (e.g. encode categories as integers)")
        return features
    feats = [c for c in names if c not in roles and is_numeric(schema.field(c).type)]
    skipped = [c for c in names if c not in roles and c not in feats]
    if not feats:
        raise DataError(f"{OP}: the table has no numeric feature column besides id/time/target. "
                        f"Columns: {names}.", argument="features", received=names,
                        fix="convert the feature columns to numbers, or name them with features=")
    if skipped and src is not None:
        _check_text_columns(src, skipped)
    if skipped:
        warn(f"{OP}: skipping non-numeric column(s) {skipped}; features are {feats}. "
             f"Pass features= to choose the columns and silence this warning.")
    return feats


# --------------------------------------------------------------------------- text columns
_NUMBER = r"^\s*[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|(?i:inf|infinity|nan))\s*$"
_DECIMAL_COMMA = r"^\s*[-+]?(\d{1,3}(\.\d{3})+|\d*),\d+\s*$"
_BLANK = r"^\s*$"


def _with_first_cell(e: DataError, src) -> DataError:
    """A named non-numeric feature column's error, with its first cell that is not a number."""
    import pyarrow as pa

    from ._arrow_source import is_stringlike

    t = src.schema.field(e.argument).type
    if not is_stringlike(t.value_type if pa.types.is_dictionary(t) else t):
        return e
    n_num, n_comma, other, comma, number = _scan_text(src, [e.argument])[e.argument]
    cell = other or comma or number
    if cell is None:
        return e
    what = "a decimal comma" if cell is comma and other is None else "not a number"
    msg = str(e).split(" Fix: ")[0]
    return DataError(msg, argument=e.argument, received=cell[1], index=cell[0],
                     fix=f"{e.fix}; the first cell of {e.argument!r} that is {what}: row {cell[0]}, "
                         f"{cell[1]!r}")


def _check_text_columns(src, skipped) -> None:
    """A text column that holds numbers never vanishes silently from the features.

    Auto-detected features: a text column is skipped (with a warning) only when none of
    its cells is a number; numbers mixed with other text, decimal commas or numbers
    stored as text are errors naming the column, the row and the value. (A text column
    named in ``features=`` is an error in :func:`_resolve_columns`.)
    """
    from ._arrow_source import is_numeric, is_stringlike

    schema = src.schema

    def text(c):
        t = schema.field(c).type
        import pyarrow as pa

        return is_stringlike(t.value_type if pa.types.is_dictionary(t) else t)

    cols = [c for c in skipped if not is_numeric(schema.field(c).type) and text(c)]
    if not cols:
        return
    stats = _scan_text(src, cols)
    for c in cols:
        n_num, n_comma, other, comma, number = stats[c]
        if n_num + n_comma == 0:
            continue  # a column of labels: skipped with the warning of _resolve_columns
        if other is not None:
            row, value = other
            raise DataError(
                f"{OP}: column {c!r} holds {n_num + n_comma} numbers but {value!r} at row {row}, "
                f"which is not a number; read as text, the whole column would be dropped from the "
                f"features.", argument=c, received=value, index=row,
                fix="correct or empty that cell (an empty cell is a missing value, see `nan=`), or "
                    f"pass features= without {c!r} to leave the column out")
        if comma is not None:
            row, value = comma
            raise DataError(
                f"{OP}: column {c!r} holds {value!r} at row {row}: a decimal comma. Read as text, the "
                f"whole column would be dropped from the features.", argument=c, received=value,
                index=row, fix="write numbers with '.' as the decimal point (e.g. read the file with "
                               "pandas.read_csv(path, decimal=',') and pass the DataFrame)")
        if number is not None:
            row, value = number
            raise DataError(
                f"{OP}: column {c!r} holds numbers stored as text (e.g. {value!r} at row {row}).",
                argument=c, received=value, index=row,
                fix="convert the column to a numeric type first (e.g. pandas.to_numeric)")


def _scan_text(src, cols) -> dict:
    """Per column: (numbers, decimal commas, first other (row, value), first comma, first number)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow_source import plain

    stats = {c: [0, 0, None, None, None] for c in cols}
    row0 = 0
    for batch in src.batches(cols):
        for c in cols:
            arr = plain(batch.column(c))
            if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
                try:
                    arr = arr.cast(pa.large_string())
                except (pa.ArrowException, ValueError):
                    continue  # binary that is not text: never a number
            st = stats[c]

            def match(pattern):
                return np.asarray(pc.fill_null(pc.match_substring_regex(arr, pattern), False))

            num, com = match(_NUMBER), match(_DECIMAL_COMMA)
            other = ~(num | com | match(_BLANK) | np.asarray(arr.is_null()))
            st[0] += int(num.sum())
            st[1] += int(com.sum())
            for k, flags in ((2, other), (3, com), (4, num)):
                if st[k] is None and flags.any():
                    r = int(np.argmax(flags))
                    st[k] = (row0 + r, arr[r].as_py())
        row0 += batch.num_rows
    return {c: tuple(v) for c, v in stats.items()}


# --------------------------------------------------------------------------- ordering
def _order_rows(keys: Keys, time, sort: bool, id_order: str):
    if not sort:
        order, problem = _order.check_grouped(keys.g, keys.time)
        if problem is not None:
            _raise_not_grouped(keys, problem, time)
        return order
    order = _order.sort_rows(keys.g, keys.g_max, keys.time, consume=True)
    keys.g = None  # its memory now holds the order
    if id_order == "appearance" and order.group_keys.size > 1:  # group keys sort by id value
        order = _order.reorder_groups(order, np.argsort(_order.first_rows(order), kind="stable"))
    return order


def _raise_not_grouped(keys: Keys, problem, time):
    kind, row = problem[0], problem[1]
    idv = keys.id_at(row)
    if kind == "split":
        raise DataError(
            f"{OP}: with sort=False the rows of each id must be contiguous; id {idv!r} starts again "
            f"at row {keys.orig_row(row)} after its rows ended at row {keys.orig_row(problem[2])}.",
            argument=keys.id_name, received=idv, index=keys.orig_row(row),
            fix="pass sort=True (the default) to group the rows by id")
    raise DataError(
        f"{OP}: with sort=False each id's rows must be in time order; column {time!r} goes back "
        f"from {keys.time_str(row - 1)} to {keys.time_str(row)} for id {idv!r} at row "
        f"{keys.orig_row(row)}.", argument=time, received=keys.time_str(row),
        index=keys.orig_row(row), fix="pass sort=True (the default) to sort each id's rows by time")


def _raise_duplicate(keys: Keys, order, ids, time):
    pos = np.flatnonzero(order.dup)
    rows = order.rows(pos)
    k = int(np.argmin(rows))
    p, row = int(pos[k]), int(rows[k])
    run_start = int(np.flatnonzero(~order.dup[:p + 1])[-1])
    first = int(order.rows(run_start))
    idv = ids[np.count_nonzero(order.new_group[:p + 1]) - 1].item()
    raise DataError(
        f"{OP}: column {time!r} repeats {keys.time_str(row)} for id {idv!r} at row "
        f"{keys.orig_row(row)} (first at row {keys.orig_row(first)}). Received duplicates='error'.",
        argument=time, received=keys.time_str(row), index=keys.orig_row(row),
        fix="pass duplicates='first', 'last' or 'mean' to merge rows with the same time, "
            "or remove the repeated rows")


# --------------------------------------------------------------------------- targets
def _sequence_targets(keys: Keys, order, ids, target):
    tv = keys.target if order.perm is None else keys.target[order.perm]
    varies = np.zeros(tv.shape[0], dtype=bool)
    np.not_equal(tv[1:], tv[:-1], out=varies[1:])
    varies &= ~order.new_group
    starts = order.starts
    if varies.any():
        perm = order.perm if order.perm is not None else np.arange(tv.shape[0])
        first = np.minimum.reduceat(perm, starts)
        group_of = np.cumsum(order.new_group) - 1
        ref = keys.target[first][group_of]
        bad = np.flatnonzero(tv != ref)
        k = int(np.argmin(perm[bad]))
        row, g = int(perm[bad[k]]), int(group_of[bad[k]])
        raise DataError(
            f"{OP}: target column {target!r} varies within id {ids[g].item()!r}: row "
            f"{keys.orig_row(row)} has {keys.target_str(row)} but row {keys.orig_row(int(first[g]))} "
            f"has {keys.target_str(int(first[g]))}. Received level='sequence'.",
            argument=target, received=keys.target_str(row), index=keys.orig_row(row),
            fix="pass level='step' for one target per time step, or correct the rows")
    return keys.target_values(tv[starts])


def _step_targets(keys: Keys, order, steps, ids, offsets, target):
    tv = keys.target if order.perm is None else keys.target[order.perm]
    if steps.keep is not None:
        return keys.target_values(tv[steps.keep])
    if steps.slot is None:
        return keys.target_values(tv)
    fresh = ~order.dup
    if keys.target_is_label:
        clash = np.flatnonzero(order.dup & (tv != np.roll(tv, 1)))
        if clash.size:
            p = int(clash[0])
            row = int(order.rows(p))
            raise DataError(
                f"{OP}: duplicates='mean' cannot average labels: target column {target!r} has "
                f"{keys.target_str(row)} at row {keys.orig_row(row)} but "
                f"{keys.target_str(int(order.rows(p - 1)))} at row "
                f"{keys.orig_row(int(order.rows(p - 1)))}, same id and time.",
                argument=target, index=keys.orig_row(row),
                fix="pass duplicates='first' or 'last'")
        return keys.target_values(tv[fresh])
    sums = np.bincount(steps.slot, weights=tv.astype(np.float64))
    return sums / steps.counts


# --------------------------------------------------------------------------- destinations
def _destinations(keys: Keys, order, steps):
    """int64 output step of every input row (-1: dropped), or None when nothing moves."""
    n = order.new_group.shape[0]
    if order.perm is None and steps.slot is None and keys.kept is None:
        return None
    if steps.slot is None and order.perm is not None:
        t = keys.time  # no longer needed: reuse its memory (fresh pages are slow to touch)
        reuse = (keys.kept is None and t is not None and t.dtype.itemsize == 8
                 and t.flags.writeable and t.flags.c_contiguous and t.shape[0] == n)
        dest = t.view(np.int64) if reuse else np.empty(n, dtype=np.int64)
        keys.time = None
        for a in range(0, n, 1 << 20):  # dest[perm] = arange(n), without an n-sized arange
            b = min(a + (1 << 20), n)
            dest[order.perm[a:b]] = np.arange(a, b, dtype=np.int64)
    else:
        slot = steps.slot if steps.slot is not None else np.arange(n, dtype=np.int64)
        if steps.keep is not None:
            slot = np.where(steps.keep, slot, -1)
        if order.perm is None:
            dest = slot
        else:
            dest = np.empty(n, dtype=np.int64)
            dest[order.perm] = slot
    if keys.kept is not None:
        full = np.full(keys.n_rows, -1, dtype=np.int64)
        full[keys.kept] = dest
        dest = full
    return dest
