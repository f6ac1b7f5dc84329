"""Ragged building blocks shared by the core: step index arithmetic, numeric checks, and
raw inputs (lists of sequences, a padding mask, an Arrow list array) -> ``values`` + ``offsets``.

A leaf module: it imports nothing else from the core, so every other core module may use it.
``gather_index`` and ``check_numeric`` are public for the other subpackages (re-exported by
``seqfeed.core``).
"""

from __future__ import annotations

import numbers
from operator import attrgetter

import numpy as np

from .._errors import ConfigError, DataError, ShapeError, shape_str

__all__ = ["check_numeric", "gather_index"]


def check_numeric(op: str, name: str, a: np.ndarray, index: int | None = None) -> None:
    """Raise a DataError unless ``a`` holds numbers (bool, int, uint or float).

    ``op`` names the public operation, ``name`` the argument; ``index`` the sequence, if one.
    """
    if a.dtype.kind not in "biuf":
        where = f" (sequence {index})" if index is not None else ""
        raise DataError(
            f"{op}: `{name}`{where} must hold numbers (bool, int or float). "
            f"Received dtype {a.dtype}.",
            argument=name, received=str(a.dtype), index=index,
            fix="convert strings/objects to numbers first (e.g. `np.asarray(x, dtype='float32')`), "
                "or encode categories as integer ids",
        )


def gather_index(starts: np.ndarray, lengths: np.ndarray, total: int) -> np.ndarray:
    """Flat step indices of the segments ``[starts[i], starts[i] + lengths[i])``, in order.

    ``total`` must be ``lengths.sum()``. ``values[gather_index(starts, lengths, total)]`` is the
    concatenation of those segments of a ragged ``values`` array (int64 ``(total,)``, no loop).

    Example:
        >>> gather_index(np.array([5, 0]), np.array([2, 3]), 5)
        array([5, 6, 0, 1, 2])
    """
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    seg_off = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=seg_off[1:])
    # position within the concatenation minus its segment's offset, plus the segment's start
    shift = np.repeat(starts - seg_off, lengths)
    return np.arange(total, dtype=np.int64) + shift


def _check_lengths(op: str, lengths, B: int, T: int) -> np.ndarray:
    lengths = np.asarray(lengths)
    if lengths.shape != (B,):
        raise ShapeError(
            f"{op}: `lengths` must have shape ({B},), one per row. Received shape {shape_str(lengths.shape)}.",
            argument="lengths", received=lengths.shape)
    if lengths.dtype.kind not in "iu":
        if lengths.dtype.kind == "f" and np.all(np.isfinite(lengths)) and np.all(lengths == np.round(lengths)):
            lengths = lengths.astype(np.int64)
        else:
            raise ConfigError(f"{op}: `lengths` must be integers. Received dtype {lengths.dtype}.",
                              argument="lengths", received=str(lengths.dtype))
    lengths = lengths.astype(np.int64, copy=False)
    bad = np.flatnonzero((lengths < 0) | (lengths > T))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{op}: `lengths[{i}]`={int(lengths[i])} is outside 0..{T} (the array has {T} time steps).",
            argument="lengths", received=int(lengths[i]), index=i)
    return lengths


def _list_arrays(op: str, sequences, name: str = "data"):
    """Validate a list of 1-D/2-D sequences without copying their data.

    Returns ``(arrays, F, lengths)``: the caller's arrays (1-D ones when every
    sequence is 1-D, else 2-D ``(T_i, F)`` views), the feature count and int64
    lengths. ``name`` is the argument the caller received them as (for errors).
    """
    if isinstance(sequences, np.ndarray) and sequences.dtype == object:
        if sequences.ndim != 1:
            raise ShapeError(f"{op}: an object array of sequences must be 1-D (one sequence per "
                             f"entry). Received shape {shape_str(sequences.shape)}.",
                             argument=name, received=sequences.shape,
                             fix="pass a list of (T_i, F) arrays, or a numeric array")
        sequences = list(sequences)
    if not isinstance(sequences, (list, tuple)):
        try:
            sequences = list(sequences)
        except TypeError:
            raise ConfigError(f"{op}: `{name}` must be a list of arrays. Received type "
                              f"{type(sequences).__name__}.", argument=name) from None
    arrs = []
    for i, s in enumerate(sequences):
        if type(s) is np.ndarray:
            arrs.append(s)
            continue
        if isinstance(s, (numbers.Number, str, bytes)):
            raise ShapeError(
                f"{op}: `{name}[{i}]` is a scalar ({s!r}); a list of sequences was expected.",
                argument=name, received=s, index=i,
                fix="for one series pass it as one array, e.g. "
                    "`seqfeed.as_lstm_input(np.asarray(series))`, or wrap it: [series]")
        try:
            arrs.append(np.asarray(s))
        except ValueError:
            raise DataError(
                f"{op}: `{name}[{i}]` has steps with different numbers of features (ragged rows).",
                argument=name, index=i,
                fix="every step of a sequence needs the same number of features") from None
    n = len(arrs)
    if n == 0:
        return [], 1, np.zeros(0, dtype=np.int64)
    ndims = set(map(attrgetter("ndim"), arrs))
    if not ndims <= {1, 2}:
        i = next(k for k, a in enumerate(arrs) if a.ndim not in (1, 2))
        a = arrs[i]
        hint = ("it looks like a trailing axis of size 1 was added to a (time, features) sequence; "
                "drop it with np.squeeze(seq, -1)" if a.ndim == 3 and a.shape[-1] == 1 else
                "each sequence must be (time_steps,) or (time_steps, features)")
        raise ShapeError(
            f"{op}: `{name}[{i}]` has shape {shape_str(a.shape)}; each sequence must be 1-D "
            f"(time_steps,) or 2-D (time_steps, features).", argument=name,
            received=a.shape, index=i, fix=hint)
    dtypes = set(map(attrgetter("dtype"), arrs))
    if any(d.kind not in "biuf" for d in dtypes):
        i = next(k for k, a in enumerate(arrs) if a.dtype.kind not in "biuf")
        check_numeric(op, name, arrs[i], index=i)
    lengths = np.fromiter(map(len, arrs), dtype=np.int64, count=n)
    if ndims == {1}:
        return arrs, 1, lengths  # 1-D sequences: one feature per step (kept 1-D, no per-array reshape)
    shapes = set(a.shape[1] for a in arrs if a.ndim == 2)
    F = arrs[next(k for k, a in enumerate(arrs) if a.ndim == 2)].shape[1]
    if len(shapes) == 1 and ndims == {2}:
        return arrs, F, lengths
    ref_i = next(k for k, a in enumerate(arrs) if a.ndim == 2)
    parts = []
    for i, a in enumerate(arrs):
        f = a.shape[1] if a.ndim == 2 else None
        if f is None:  # 1-D: one feature per step; an empty 1-D sequence fits any F
            if a.shape[0] == 0:
                parts.append(a.reshape(0, F))
                continue
            f = 1
            a = a.reshape(-1, 1)
        if f != F:
            raise ShapeError(
                f"{op}: `{name}[{i}]` has {f} features per step but {name}[{ref_i}] has {F}.",
                argument=name, received=a.shape, index=i,
                fix="give every sequence the same features (columns) in the same order")
        parts.append(a)
    return parts, F, lengths


def _list_to_values(op: str, sequences, *, dtype=None, checked=None, name: str = "data"):
    """A list of 1-D/2-D sequences -> contiguous values (N, F) and int64 offsets (n + 1,).

    ``checked``: the result of :func:`_list_arrays` if the caller has it already.
    """
    parts, F, lengths = checked if checked is not None else _list_arrays(op, sequences, name)
    n = len(parts)
    if n == 0:
        return np.zeros((0, 1), dtype=dtype or np.float32), np.zeros(1, dtype=np.int64)
    values = np.concatenate(parts, axis=0, dtype=dtype) if dtype is not None or n > 1 else parts[0]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return values.reshape(-1, F), offsets


def _lengths_from_mask(op: str, mask, shape, padding: str):
    """Lengths from a bool (B, T) mask that must be one contiguous run on one side.

    ``padding`` is "post", "pre" or "auto" (find the side; all rows must agree).
    Returns ``lengths`` (and the side when ``padding == "auto"``).
    """
    m = np.asarray(mask)
    B, T = shape
    if m.shape != (B, T):
        raise ShapeError(f"{op}: `mask` must have shape ({B}, {T}) to match x. Received shape "
                         f"{shape_str(m.shape)}.", argument="mask", received=m.shape)
    if m.dtype != bool:
        if m.dtype.kind in "iuf" and np.isin(m, (0, 1)).all():
            m = m.astype(bool)
        else:
            raise ConfigError(f"{op}: `mask` must be boolean (True on real steps). Received dtype "
                              f"{m.dtype}.", argument="mask", received=str(m.dtype))
    lengths = m.sum(axis=1, dtype=np.int64)
    steps = np.arange(T)
    post_ok = (m == (steps < lengths[:, None])).all(axis=1)
    pre_ok = (m == (steps >= (T - lengths)[:, None])).all(axis=1)
    side = padding
    if padding == "auto":
        if post_ok.all():
            side = "post"
        elif pre_ok.all():
            side = "pre"
        else:
            side = "post" if post_ok.sum() >= pre_ok.sum() else "pre"
    ok = post_ok if side == "post" else pre_ok
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        row = m[i]
        if side == "post":
            j = int(np.argmin(row)) if not row.all() else T
            bad = j + int(np.argmax(row[j:])) if j < T else T
            where = f"step {bad} is True after the first False at step {j}"
        else:
            first = int(np.argmax(row))
            bad = first + int(np.argmin(row[first:]))
            where = f"step {bad} is False after the first True at step {first}"
        raise DataError(
            f"{op}: `mask` row {i} is not one run of real steps ({side} padding): {where}.",
            argument="mask", index=i,
            fix="a mask must be True on a contiguous run of real steps (at the start for post "
                "padding, at the end for pre); build it from lengths, not from values")
    return (lengths, side) if padding == "auto" else lengths


def _arrow_to_values(op: str, array):
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    if isinstance(array, (pa.Table, pa.RecordBatch)):
        raise ConfigError(f"{op}: pass one list column (e.g. table['x']), not a whole table.",
                          argument="array", fix="for long-format tables (one row per step) use "
                                                "the table readers")
    t = array.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        raise ConfigError(
            f"{op}: the Arrow array must be a list column (list<number> or "
            f"list<fixed_size_list<number, F>>). Received type {t}.", argument="array",
            received=str(t))
    if array.null_count:
        i = int(np.flatnonzero(np.asarray(array.is_null()))[0])
        raise DataError(f"{op}: sequence {i} is null.", argument="array", index=i,
                        fix="drop null rows first (e.g. table.filter(pc.is_valid(col)))")
    offsets = np.asarray(array.offsets).astype(np.int64)
    offsets = offsets - offsets[0]
    child = array.flatten()  # honours slicing
    vt = child.type
    if pa.types.is_fixed_size_list(vt):
        F = vt.list_size
        if child.null_count:
            k = int(np.flatnonzero(np.asarray(child.is_null()))[0])
            i = int(np.searchsorted(offsets, k, side="right") - 1)
            raise DataError(f"{op}: step {k - offsets[i]} of sequence {i} is null.",
                            argument="array", index=i)
        inner = child.flatten()
    elif pa.types.is_list(vt) or pa.types.is_large_list(vt):
        raise ConfigError(
            f"{op}: steps are variable-size lists ({vt}); the number of features per step must be "
            f"fixed.", argument="array", received=str(t),
            fix="cast the column to list<fixed_size_list<float32, F>> "
                "(e.g. col.cast(pa.list_(pa.list_(pa.float32(), F))))")
    else:
        F = 1
        inner = child
    if not (pa.types.is_integer(inner.type) or pa.types.is_floating(inner.type)
            or pa.types.is_boolean(inner.type)):
        raise DataError(f"{op}: values must be numeric. Received Arrow type {inner.type}.",
                        argument="array", received=str(inner.type))
    if inner.null_count:
        k = int(np.flatnonzero(np.asarray(inner.is_null()))[0]) // F
        i = int(np.searchsorted(offsets, k, side="right") - 1)
        raise DataError(f"{op}: step {k - offsets[i]} of sequence {i} holds a null value.",
                        argument="array", index=i, fix="fill or drop nulls first")
    try:
        values = inner.to_numpy(zero_copy_only=True)
    except (pa.ArrowInvalid, NotImplementedError):
        values = inner.to_numpy(zero_copy_only=False)
    return values.reshape(-1, F), offsets
