"""Raw inputs -> `SequenceSet` / `Batch`: lists, dense arrays, Arrow columns, lone series."""

from __future__ import annotations

import numbers
from operator import attrgetter

import numpy as np

from .._errors import ConfigError, DataError, ShapeError, check_choice, shape_str
from ._batch import Batch
from ._sequence_set import SequenceSet, _check_lengths, _check_numeric

__all__ = ["as_sequence_set", "as_lstm_input"]

LAYOUTS_2D = ("time_features", "batch_time")


def _is_arrow(obj) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pyarrow")


def _list_arrays(op: str, sequences):
    """Validate a list of 1-D/2-D sequences without copying their data.

    Returns ``(arrays, F, lengths)``: the caller's arrays (1-D ones when every
    sequence is 1-D, else 2-D ``(T_i, F)`` views), the feature count and int64
    lengths.
    """
    if isinstance(sequences, np.ndarray) and sequences.dtype == object:
        if sequences.ndim != 1:
            raise ShapeError(f"{op}: an object array of sequences must be 1-D (one sequence per "
                             f"entry). Received shape {shape_str(sequences.shape)}.",
                             argument="sequences", received=sequences.shape,
                             fix="pass a list of (T_i, F) arrays, or a numeric array")
        sequences = list(sequences)
    if not isinstance(sequences, (list, tuple)):
        try:
            sequences = list(sequences)
        except TypeError:
            raise ConfigError(f"{op}: `sequences` must be a list of arrays. Received type "
                              f"{type(sequences).__name__}.", argument="sequences",
                              fix="pass a list (or tuple) of arrays, one per sequence") from None
    arrs = []
    for i, s in enumerate(sequences):
        if type(s) is np.ndarray:
            arrs.append(s)
            continue
        if isinstance(s, (numbers.Number, str, bytes)):
            raise ShapeError(
                f"{op}: `sequences[{i}]` is a scalar ({s!r}); a list of sequences was expected.",
                argument="sequences", received=s, index=i,
                fix="for one series pass it as one array, e.g. "
                    "`seqfeed.as_lstm_input(np.asarray(series))`, or wrap it: [series]")
        try:
            arrs.append(np.asarray(s))
        except ValueError:
            raise DataError(
                f"{op}: `sequences[{i}]` has steps with different numbers of features (ragged rows).",
                argument="sequences", index=i,
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
            f"{op}: `sequences[{i}]` has shape {shape_str(a.shape)}; each sequence must be 1-D "
            f"(time_steps,) or 2-D (time_steps, features).", argument="sequences",
            received=a.shape, index=i, fix=hint)
    dtypes = set(map(attrgetter("dtype"), arrs))
    if any(d.kind not in "biuf" for d in dtypes):
        i = next(k for k, a in enumerate(arrs) if a.dtype.kind not in "biuf")
        _check_numeric(op, "sequences", arrs[i], index=i)
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
                f"{op}: `sequences[{i}]` has {f} features per step but sequences[{ref_i}] has {F}.",
                argument="sequences", received=a.shape, index=i,
                fix="give every sequence the same features (columns) in the same order")
        parts.append(a)
    return parts, F, lengths


def _list_to_values(op: str, sequences, *, dtype=None, checked=None):
    """A list of 1-D/2-D sequences -> contiguous values (N, F) and int64 offsets (n + 1,).

    ``checked``: the result of :func:`_list_arrays` if the caller has it already.
    """
    parts, F, lengths = checked if checked is not None else _list_arrays(op, sequences)
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
                         f"{shape_str(m.shape)}.", argument="mask", received=m.shape,
                         fix="pass a bool mask of shape (batch, time_steps), the same as x's first two axes")
    if m.dtype != bool:
        if m.dtype.kind in "iuf" and np.isin(m, (0, 1)).all():
            m = m.astype(bool)
        else:
            raise ConfigError(f"{op}: `mask` must be boolean (True on real steps). Received dtype "
                              f"{m.dtype}.", argument="mask", received=str(m.dtype),
                              fix="pass a bool mask (True on real steps), e.g. mask.astype(bool)")
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
            received=str(t), fix="pass a list<number> or list<fixed_size_list<number, F>> Arrow column")
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
                            argument="array", index=i, fix="fill or drop the null steps before converting")
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
                        argument="array", received=str(inner.type),
                        fix="cast the Arrow list values to a numeric type first")
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


def as_sequence_set(data, *, lengths=None, mask=None, input_padding: str = "auto",
                    layout: str | None = None, targets=None, ids=None, op: str = "as_sequence_set"
                    ) -> SequenceSet:
    """Any supported raw form -> :class:`SequenceSet`.

    Accepts a ``SequenceSet`` (returned as is, or with ``targets``/``ids``), a list
    of ``(T_i,)``/``(T_i, F)`` sequences, an object array of those, an Arrow list
    array/column, a dense ``(B, T, F)`` array (with ``lengths`` or ``mask``;
    ``(B, T)`` needs ``layout``), a 2-D array with ``layout``, or a 1-D series.

    Raises:
        ConfigError: an option is invalid, or ``data`` is of a type that holds no sequences.
        ShapeError: ``data`` is a scalar or has a shape that is not a sequence input; ``lengths``/``mask`` do
            not match it.
        DataError: non-numeric values, or ``lengths`` that are not whole numbers within the time axis.
    """
    if (lengths is not None or mask is not None) and not (isinstance(data, np.ndarray) and
                                                          data.dtype != object):
        raise ConfigError(f"{op}: `lengths`/`mask` apply to a dense 3-D array only; "
                          f"received {type(data).__name__}.",
                          argument="lengths" if lengths is not None else "mask",
                          received=type(data).__name__,
                          fix="a list of sequences or a SequenceSet already knows its lengths: "
                              "drop `lengths`/`mask`")
    if isinstance(data, SequenceSet):
        if targets is None and ids is None:
            return data
        return SequenceSet(data.values, data.offsets, targets=data.targets if targets is None else targets,
                           step_targets=data.step_targets, ids=data.ids if ids is None else ids,
                           feature_names=data.feature_names)
    if _is_arrow(data):
        values, offsets = _arrow_to_values(op, data)
        return SequenceSet(values, offsets, targets=targets, ids=ids)
    if isinstance(data, np.ndarray) and data.dtype != object:
        if layout is not None:
            check_choice(op, "layout", layout, LAYOUTS_2D)
        if data.ndim == 4:
            raise _four_d_error(op, data.shape)
        if data.ndim > 4:
            raise ShapeError(f"{op}: `data` has {data.ndim} dimensions, shape {shape_str(data.shape)}; "
                             f"an LSTM input is 3-D (batch, time_steps, features).",
                             argument="data", received=data.shape,
                             fix="pass (batch, time_steps, features), a 2-D array with `layout`, or a list of sequences")
        if data.ndim == 3 or (data.ndim == 2 and layout == "batch_time"):
            if data.ndim == 3 and layout is not None:
                raise ConfigError(f"{op}: `layout` is for 2-D arrays; a 3-D array is always "
                                  f"(batch, time_steps, features).", argument="layout",
                                  fix="leave out `layout` for a 3-D array")
            _check_numeric(op, "data", data)
            if data.ndim == 2:
                data = data[:, :, None]
            check_choice(op, "input_padding", input_padding, ("auto", "pre", "post"))
            L = _check_lengths(op, lengths, data.shape[0], data.shape[1]) if lengths is not None \
                else None
            side = "post" if input_padding == "auto" else input_padding
            if mask is not None:
                res = _lengths_from_mask(op, mask, data.shape[:2], input_padding)
                from_mask, side = res if input_padding == "auto" else (res, input_padding)
                if L is not None and not np.array_equal(L, from_mask):
                    i = int(np.flatnonzero(L != from_mask)[0])
                    raise DataError(
                        f"{op}: `lengths` and `mask` disagree: lengths[{i}]={int(L[i])} but mask row "
                        f"{i} has {int(from_mask[i])} real steps.", argument="lengths",
                        received=int(L[i]), index=i, fix="pass only one of them (the mask is "
                                                         "enough), or make them agree")
                L = from_mask
            return SequenceSet.from_padded(data, lengths=L, padding=side, targets=targets, ids=ids)
        if lengths is not None or mask is not None:
            raise ConfigError(
                f"{op}: `lengths`/`mask` apply to a padded (batch, time_steps[, features]) array; "
                f"this {data.ndim}-D array is " + ("one sequence." if data.ndim else "a scalar."),
                argument="lengths" if lengths is not None else "mask",
                received=data.shape, fix="drop `lengths`/`mask`, or pass layout='batch_time' for "
                                         "a (batch, time_steps) array")
        if data.ndim == 2:
            if layout is None:
                raise _two_d_error(op, data.shape)
            _check_numeric(op, "data", data)
            return SequenceSet(data, np.array([0, data.shape[0]], dtype=np.int64),
                               targets=targets, ids=ids)
        if data.ndim == 1:
            _check_numeric(op, "data", data)
            return SequenceSet(data.reshape(-1, 1), np.array([0, data.shape[0]], dtype=np.int64),
                               targets=targets, ids=ids)
        raise ShapeError(f"{op}: `data` is a scalar ({data!r}); an LSTM needs a sequence.",
                         argument="data", received=(), fix="pass an array with a time axis, e.g. shape (T,) or (T, F)")
    if isinstance(data, (list, tuple)) or (isinstance(data, np.ndarray) and data.dtype == object):
        values, offsets = _list_to_values(op, data)
        return SequenceSet(values, offsets, targets=targets, ids=ids)
    if hasattr(data, "numpy") and callable(data.numpy):  # a tf.Tensor / torch tensor on CPU
        return as_sequence_set(np.asarray(data.numpy()), lengths=lengths, mask=mask,
                               input_padding=input_padding, layout=layout, targets=targets, ids=ids,
                               op=op)
    if isinstance(data, numbers.Number):
        raise ShapeError(f"{op}: `data` is a scalar ({data!r}); an LSTM needs a sequence.", argument="data",
                         received=(), fix="pass an array with a time axis, e.g. shape (T,) or (T, F)")
    raise ConfigError(f"{op}: cannot read sequences from a {type(data).__name__}.", argument="data",
                      received=type(data).__name__,
                      fix="pass a NumPy array, a list of arrays, an Arrow list column or a SequenceSet")


def _four_d_error(op, shape):
    if shape[-1] == 1:
        return ShapeError(
            f"{op}: `data` is 4-D with shape {shape_str(shape)}; an LSTM input is 3-D "
            f"(batch, time_steps, features). A trailing axis of size 1 was most likely added to "
            f"arrays that already had their feature axis (np.expand_dims(..., -1) after stacking "
            f"(T, 1) sequences, as in the seed document's Example 3).",
            argument="data", received=shape,
            fix="drop the extra axis with np.squeeze(x, axis=-1) (or x[..., 0])")
    return ShapeError(
        f"{op}: `data` is 4-D with shape {shape_str(shape)}; an LSTM input is 3-D "
        f"(batch, time_steps, features).", argument="data", received=shape,
        fix="merge the per-step axes into features with x.reshape(x.shape[0], x.shape[1], -1)")


def _two_d_error(op, shape):
    a, b = shape
    return ShapeError(
        f"{op}: a 2-D array of shape {shape_str(shape)} is ambiguous: it is either ONE sequence of "
        f"{a} time steps with {b} features, or a batch of {a} sequences of {b} time steps with one "
        f"feature each.", argument="layout", received=shape,
        fix=f"pass layout='time_features' for the first (gives x of shape (1, {a}, {b})) or "
            f"layout='batch_time' for the second (gives ({a}, {b}, 1))")


def as_lstm_input(data, *, layout: str | None = None, lengths=None, mask=None,
                  input_padding: str = "auto", maxlen: int | None = None, padding: str = "post",
                  truncating: str = "pre", value=0.0, dtype="float32", targets=None) -> Batch:
    """Turn any raw form into a :class:`Batch` an LSTM accepts, ``x`` of shape ``(B, T, F)``.

    * a 1-D series (array or list of numbers) ``(T,)`` -> ``(1, T, 1)``;
    * a 2-D array needs ``layout``: ``"time_features"`` (one ``(T, F)`` sequence ->
      ``(1, T, F)``) or ``"batch_time"`` (``(B, T)`` one-feature sequences ->
      ``(B, T, 1)``). Without it the call fails and says which to choose;
    * a 3-D array ``(B, T, F)`` passes through; give ``lengths`` or ``mask`` if it
      is padded;
    * a list of variable-length sequences, an Arrow list column or a
      :class:`SequenceSet` is padded (see :func:`seqfeed.pad` for the options).

    Raises:
        ConfigError: an option is invalid (``layout``, ``padding``, ``truncating``, ``maxlen``, ...).
        ShapeError: ``data`` has a shape that cannot be read as sequences (e.g. 4-D or more).
        DataError: non-numeric values, or ``lengths`` that are not whole numbers within the time axis.

    Example:
        >>> as_lstm_input(np.arange(10.0)).x.shape
        (1, 10, 1)
    """
    from ._pad import pad

    op = "as_lstm_input"
    check_choice(op, "padding", padding, ("pre", "post"))
    check_choice(op, "input_padding", input_padding, ("auto", "pre", "post"))
    if layout is not None:
        check_choice(op, "layout", layout, LAYOUTS_2D)
    if isinstance(data, (list, tuple)) and data and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in data):
        data = np.asarray(data, dtype=np.float64)  # a flat list of numbers is one series
    seqs = as_sequence_set(data, lengths=lengths, mask=mask, input_padding=input_padding,
                           layout=layout, targets=targets, op=op)
    return pad(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=value, dtype=dtype)
