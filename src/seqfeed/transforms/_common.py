"""Input handling shared by the transforms: one series or a `SequenceSet`, located errors."""

from __future__ import annotations

import numpy as np

from .._errors import ConfigError, DataError, ShapeError, shape_str
from ..core import SequenceSet, check_numeric


def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (the caller's array keeps its own flags)."""
    v = a.view()
    v.flags.writeable = False
    return v


def as_series_or_set(op: str, data, name: str = "data") -> tuple[SequenceSet, bool]:
    """``data`` as a :class:`SequenceSet` and whether it was one lone series.

    Accepted: a ``SequenceSet``; a NumPy array ``(T,)`` or ``(T, F)`` read as ONE
    series (axis 0 is time, as in ``keras.utils.timeseries_dataset_from_array``); a
    flat list of numbers (one series). The series is wrapped without copying.
    """
    if isinstance(data, SequenceSet):
        return data, False
    if isinstance(data, np.ndarray) and data.dtype != object:
        arr = data
    elif isinstance(data, (list, tuple)):
        try:
            arr = np.asarray(data)
        except ValueError:
            arr = None
        if arr is None or arr.dtype == object or arr.ndim != 1:
            raise ConfigError(
                f"{op}: `{name}` is a nested list; it could be one (time, features) series or several "
                f"sequences.", argument=name, received=type(data).__name__,
                fix="pass `np.asarray(x)` for one series (axis 0 = time) or "
                    "`seqfeed.SequenceSet.from_sequences(x)` for several sequences")
    else:
        raise ConfigError(
            f"{op}: `{name}` must be a SequenceSet or a NumPy array (T,) / (T, F) holding one series. "
            f"Received type {type(data).__name__}.", argument=name, received=type(data).__name__,
            fix="build a set with `seqfeed.as_sequence_set(...)` or `SequenceSet.from_sequences(...)`")
    if arr.ndim not in (1, 2):
        hint = ("for a padded (batch, time, features) array use "
                "`SequenceSet.from_padded(x, lengths=...)`" if arr.ndim == 3 else
                "pass (time_steps,) or (time_steps, features)")
        raise ShapeError(
            f"{op}: `{name}` must be one series of shape (T,) or (T, F). Received shape "
            f"{shape_str(arr.shape)}.", argument=name, received=arr.shape, fix=hint)
    check_numeric(op, name, arr)
    values = arr.reshape(-1, 1) if arr.ndim == 1 else arr
    return SequenceSet(values, np.array([0, values.shape[0]], dtype=np.int64)), True


def locate_steps(offsets: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global step indices -> (sequence index, step within the sequence)."""
    seq = np.searchsorted(offsets, flat, side="right") - 1
    return seq, flat - offsets[seq]


def check_finite(op: str, name: str, values: np.ndarray, offsets: np.ndarray | None = None,
                 mask: np.ndarray | None = None, feature_names=None) -> None:
    """Raise DataError at the first NaN/inf of ``values`` (real steps only when ``mask``).

    ``values`` is ``(N, F)`` with ``offsets`` (ragged), or ``(B, T, F)`` with ``mask``.
    """
    if values.dtype.kind != "f":
        return
    if mask is None and values.ndim == 2:  # finite input is confirmed in row blocks of ~1M values:
        step = max(1024, (1 << 20) // max(values.shape[1], 1))  # no boolean array of the whole input
        if all(np.isfinite(values[a:a + step]).all() for a in range(0, values.shape[0], step)):
            return
    bad = ~np.isfinite(values)
    if mask is not None:
        bad &= mask[..., None]
    if not bad.any():
        return
    pos = np.argwhere(bad)[0]
    what = "NaN" if np.isnan(values[tuple(pos)]) else "an infinite value"
    f = int(pos[-1])
    feat = f"feature {feature_names[f]!r}" if feature_names else f"feature {f}"
    if mask is not None:
        i, t = int(pos[0]), int(pos[1])
        where = f"row {i}, step {t}, {feat}"
    elif offsets is not None:
        seq, step = locate_steps(offsets, np.array([pos[0]]))
        i, t = int(seq[0]), int(step[0])
        where = f"sequence {i}, step {t}, {feat}"
    else:  # pragma: no cover - every caller passes offsets or mask
        i, where = int(pos[0]), f"step {int(pos[0])}, {feat}"
    raise DataError(f"{op}: `{name}` holds {what} at {where}.", argument=name,
                    received=float(values[tuple(pos)]), index=i,
                    fix="fill or drop missing values before this step (e.g. forward-fill per sequence)")


def step_positions(seqs: SequenceSet) -> np.ndarray:
    """int64 ``(N_steps,)``: position of each step within its own sequence."""
    L = seqs.lengths
    return np.arange(seqs.n_steps, dtype=np.int64) - np.repeat(seqs.offsets[:-1], L)
