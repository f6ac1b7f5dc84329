"""Raw inputs -> `SequenceSet`: lists, dense arrays, Arrow columns, lone series."""

from __future__ import annotations

import numpy as np

from .._errors import ConfigError, DataError, ShapeError, check_choice, shape_str
from ._ragged import _arrow_to_values, _check_lengths, _lengths_from_mask, _list_to_values, check_numeric
from ._sequence_set import SequenceSet

__all__ = ["as_sequence_set"]

LAYOUTS_2D = ("time_features", "batch_time")


def _is_arrow(obj) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pyarrow")


def as_sequence_set(data, *, lengths=None, mask=None, input_padding: str = "auto",
                    layout: str | None = None, targets=None, ids=None, _op: str = "as_sequence_set"
                    ) -> SequenceSet:
    """Any supported raw form -> :class:`SequenceSet`.

    Accepts a ``SequenceSet`` (returned as is, or with ``targets``/``ids``), a list
    of ``(T_i,)``/``(T_i, F)`` sequences, an object array of those, an Arrow list
    array/column, a dense ``(B, T, F)`` array (with ``lengths`` or ``mask``;
    ``(B, T)`` needs ``layout``), a 2-D array with ``layout``, or a 1-D series.
    ``input_padding`` is the side of the padding in a dense input (``"auto"``: read
    off ``mask``, ``"post"`` with ``lengths``). ``_op`` is private: the name of the
    calling operation, used in error messages.
    """
    op = _op
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
                             argument="data", received=data.shape)
        if data.ndim == 3 or (data.ndim == 2 and layout == "batch_time"):
            if data.ndim == 3 and layout is not None:
                raise ConfigError(f"{op}: `layout` is for 2-D arrays; a 3-D array is always "
                                  f"(batch, time_steps, features).", argument="layout")
            check_numeric(op, "data", data)
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
            return SequenceSet.from_padded(data, lengths=L, input_padding=side, targets=targets, ids=ids)
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
            check_numeric(op, "data", data)
            return SequenceSet(data, np.array([0, data.shape[0]], dtype=np.int64),
                               targets=targets, ids=ids)
        if data.ndim == 1:
            check_numeric(op, "data", data)
            return SequenceSet(data.reshape(-1, 1), np.array([0, data.shape[0]], dtype=np.int64),
                               targets=targets, ids=ids)
        raise ShapeError(f"{op}: `data` is a scalar ({data!r}); an LSTM needs a sequence.",
                         argument="data", received=())
    if isinstance(data, (list, tuple)) or (isinstance(data, np.ndarray) and data.dtype == object):
        values, offsets = _list_to_values(op, data)
        return SequenceSet(values, offsets, targets=targets, ids=ids)
    if hasattr(data, "numpy") and callable(data.numpy):  # a tf.Tensor / torch tensor on CPU
        return as_sequence_set(np.asarray(data.numpy()), lengths=lengths, mask=mask,
                               input_padding=input_padding, layout=layout, targets=targets, ids=ids,
                               _op=op)
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


