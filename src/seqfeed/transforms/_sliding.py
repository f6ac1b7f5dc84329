"""Ragged-aware `sliding_windows`: plan the windows of every sequence of a set (vectorised).

Shape symbols as in ``_windows.py``. The options are checked before any data is
looked at; the result is a :class:`Windows` (indices only, nothing copied).
"""

from __future__ import annotations

import numpy as np

from .._checks import check_features
from .._errors import ConfigError, check_choice, check_int
from ..core import SequenceSet
from ._common import as_series_or_set
from ._windows import Windows

__all__ = ["sliding_windows"]

TARGETS = ("next", "sequence")


def check_window_options(op: str, length, stride, sampling_rate, horizon, target, target_features,
                         drop_incomplete):
    """Validate the window options (before any data is looked at)."""
    L = check_int(op, "length", length, minimum=1)
    stride = check_int(op, "stride", stride, minimum=1)
    rate = check_int(op, "sampling_rate", sampling_rate, minimum=1)
    horizon = check_int(op, "horizon", horizon, minimum=0)
    if target is not None:
        check_choice(op, "target", target, TARGETS)
    if target != "next" and horizon:
        raise ConfigError(f"{op}: `horizon` applies to target='next'. Received: horizon={horizon}, "
                          f"target={target!r}.", argument="horizon", received=horizon,
                          fix="pass horizon=0 (the default), or target='next'")
    if target != "next" and target_features is not None:
        raise ConfigError(f"{op}: `target_features` applies to target='next'. Received: "
                          f"target={target!r}.", argument="target_features", received=target_features,
                          fix="leave target_features=None, or pass target='next'")
    if not isinstance(drop_incomplete, (bool, np.bool_)):
        raise ConfigError(f"{op}: `drop_incomplete` must be True or False. Received: "
                          f"drop_incomplete={drop_incomplete!r}.", argument="drop_incomplete",
                          received=drop_incomplete, fix="pass drop_incomplete=True or False")
    return L, stride, rate, horizon


def resolve_features(op: str, seqs: SequenceSet, target_features) -> np.ndarray | None:
    """``target_features`` (int, name, or a list of them) -> int64 feature indices."""
    if target_features is None:
        return None
    return np.asarray(check_features(op, "target_features", target_features, seqs.n_features, seqs.feature_names,
                                     fix="pass feature indices or names of the set, or None for every feature"),
                      dtype=np.int64).reshape(-1)


def plan_windows(lengths, *, length, stride, rate, need, target_offset, first, lo, hi, anchor_min,
                 drop_incomplete):
    """Vectorised window starts for every sequence (no Python loop per window or sequence).

    Per sequence ``i`` the starts are ``first[i] + k * stride`` (``k`` = 0, 1, ...),
    kept when ``start >= lo[i]``, every input and target step is ``< hi[i]``, and the
    window's anchor (first target step for ``"next"``, else its last step) is
    ``>= anchor_min[i]``. ``need`` target steps follow the window's last step.

    Returns:
        ``(source, start, win_lengths)`` int64 arrays.
    """
    span = (length - 1) * rate + 1
    first = np.asarray(first, dtype=np.int64)
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    k0 = np.maximum(0, -((first - lo) // stride))  # ceil((lo - first) / stride), at least 0
    pmax = hi - need - (span if drop_incomplete else 1)
    k1 = (pmax - first) // stride
    counts = np.maximum(0, k1 - k0 + 1)
    n = lengths.shape[0]
    total = int(counts.sum())
    source = np.repeat(np.arange(n, dtype=np.int64), counts)
    run_start = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=run_start[1:])
    k = np.arange(total, dtype=np.int64) - np.repeat(run_start - k0, counts)
    start = first[source] + k * stride
    if drop_incomplete:
        win = np.full(total, length, dtype=np.int64)
    else:
        win = np.minimum(length, (hi[source] - 1 - need - start) // rate + 1)
    anchor = start + (win - 1) * rate + target_offset
    keep = anchor >= np.asarray(anchor_min, dtype=np.int64)[source]
    if not keep.all():
        source, start, win = source[keep], start[keep], win[keep]
    return source, start, win


def sliding_windows(data, length, *, stride=1, sampling_rate=1, horizon=0, target="next",
                    target_features=None, drop_incomplete=True) -> Windows:
    """Windows of ``length`` steps over every sequence, never crossing a sequence boundary.

    Window ``j`` of a sequence starts at step ``j * stride`` and holds steps
    ``start + k * sampling_rate`` for ``k < length`` (the Keras
    ``sequence_stride``/``sampling_rate`` meaning).

    Args:
        data: a :class:`SequenceSet`, or ONE series as a NumPy array ``(T,)`` / ``(T, F)``
            (axis 0 is time; wrapped without copying).
        length: ``L >= 1`` steps per window.
        stride: steps between the starts of consecutive windows of a sequence.
        sampling_rate: steps between consecutive steps of a window.
        horizon: forecasting (``target="next"``): 0 = the single step right after the
            window's last step, ``y`` ``(n, F_t)`` (Keras' ``targets=data[L:]``); ``H >= 1`` =
            the ``H`` steps after it, ``y`` ``(n, H, F_t)``, so ``y[:, h - 1]`` is the
            value ``h`` steps ahead. Target steps are counted in raw steps of the series,
            whatever the ``sampling_rate``.
        target: ``"next"`` (default; forecast the steps after the window), ``"sequence"``
            (each window gets its sequence's ``targets`` entry, for classifying windows)
            or None (inputs only).
        target_features: feature indices or names forecast by ``"next"`` (default all).
        drop_incomplete: True (default) keeps full windows only (and, for ``"next"``,
            only windows whose targets exist). False also keeps the trailing windows
            that run out of steps, shortened to the steps that fit (as
            ``tf.data.Dataset.window(drop_remainder=False)``), with their
            :attr:`Windows.lengths` and a mask in :meth:`Windows.batch`.

    Returns:
        A :class:`Windows`: ``source``/``start`` per window (which sequence, which step)
        and lazy accessors :meth:`Windows.batch`, :attr:`Windows.x`, :attr:`Windows.y`.
        Nothing is copied until values are gathered.

    Raises:
        ConfigError: an option out of range or inconsistent (``length`` < 1, ``horizon`` without
            target='next', ...).
        ShapeError: ``data`` is an array that is not one series ``(T,)``/``(T, F)``.
        DataError: a series that does not hold numbers.

    Example:
        >>> w = sliding_windows(np.arange(6.0), 3, horizon=2)
        >>> w.x[..., 0]
        array([[0., 1., 2.],
               [1., 2., 3.]])
        >>> w.y[..., 0]
        array([[3., 4.],
               [4., 5.]])
        >>> s = SequenceSet.from_sequences([np.arange(4.0), np.arange(10.0, 13.0)])
        >>> w = sliding_windows(s, 2, target=None)
        >>> w.source, w.start
        (array([0, 0, 0, 1, 1]), array([0, 1, 2, 0, 1]))
    """
    op = "sliding_windows"
    L, stride, rate, horizon = check_window_options(op, length, stride, sampling_rate, horizon, target,
                                                    target_features, drop_incomplete)
    s, _ = as_series_or_set(op, data, "data")
    return make_windows(op, s, L=L, stride=stride, rate=rate, horizon=horizon, target=target,
                        target_features=target_features, drop_incomplete=bool(drop_incomplete))


def make_windows(op, s: SequenceSet, *, L, stride, rate, horizon, target, target_features,
                 drop_incomplete, first=None, lo=None, hi=None, anchor_min=None) -> Windows:
    """Validated options + a set -> :class:`Windows` (bounds default to whole sequences)."""
    feats = resolve_features(op, s, target_features)
    if target == "sequence" and s.targets is None:
        raise ConfigError(f"{op}: target='sequence' needs a set with `targets` (one per sequence). "
                          f"Received a set without targets.", argument="target", received=target,
                          fix="build the set with targets=..., or use target='next' / None")
    n = len(s)
    zeros = np.zeros(n, dtype=np.int64)
    need = max(horizon, 1) if target == "next" else 0
    source, start, win = plan_windows(
        s.lengths, length=L, stride=stride, rate=rate, need=need,
        target_offset=1 if target == "next" else 0,
        first=zeros if first is None else first, lo=zeros if lo is None else lo,
        hi=s.lengths if hi is None else hi, anchor_min=zeros if anchor_min is None else anchor_min,
        drop_incomplete=drop_incomplete)
    return Windows(s, source, start, win, length=L, sampling_rate=rate, target=target, horizon=horizon,
                   target_features=feats)
