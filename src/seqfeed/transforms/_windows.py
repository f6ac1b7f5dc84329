"""Sliding windows: the Keras-exact `timeseries_windows` and ragged-aware `sliding_windows`.

Shape symbols: ``n`` windows, ``L`` window length (``length``), ``F`` features per
step, ``H`` forecast horizon, ``F_t`` forecast features.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._errors import ConfigError, IndexRangeError, ShapeError, check_choice, check_int, shape_str
from ..core import Batch, SequenceSet, check_numeric
from ..core._copy import length_mask
from ._common import as_series_or_set, readonly

__all__ = ["timeseries_windows", "sliding_windows", "Windows"]

TARGETS = ("next", "sequence")


# ---------------------------------------------------------------------------------------------
# Keras-exact windows over one array
# ---------------------------------------------------------------------------------------------
def timeseries_windows(data, targets, sequence_length, *, sequence_stride=1, sampling_rate=1,
                       start_index=None, end_index=None):
    """All windows of ``keras.utils.timeseries_dataset_from_array`` as two arrays.

    ``X`` equals the concatenation of every batch of
    ``timeseries_dataset_from_array(data, targets, sequence_length, ..., shuffle=False)``
    (values, dtype and shape; tested against Keras itself):

    * the windows are cut from ``data[s:e]`` with ``s = start_index or 0`` and
      ``e = end_index or len(data)``;
    * ``n = (e - s) - (sequence_length - 1) * sampling_rate`` candidate starts,
      capped at ``len(targets)`` when targets are given;
    * window ``j`` starts at ``p_j = j * sequence_stride`` (``p_j < n``) and holds
      ``data[s + p_j + k * sampling_rate]`` for ``k < sequence_length``;
    * its target is ``targets[s + p_j]``: the target pairs with the window's FIRST
      step. For next-step forecasting pass ``data[:-1]`` and ``targets=data[L:]``
      (the Keras docs' ``data[:-L]`` silently drops the last ``L - 1`` windows), or
      use :func:`sliding_windows`, which pairs targets with the window's last step.

    ``n <= 0`` gives empty arrays (no error), as in Keras.

    Args:
        data: array ``(N, *step_shape)``, axis 0 is time. A NumPy array is not copied.
        targets: array ``(M, *target_shape)`` or None.
        sequence_length: ``L >= 1`` steps per window.
        sequence_stride: steps between the starts of consecutive windows (>= 1).
        sampling_rate: steps between consecutive steps of a window (>= 1).
        start_index: first step of ``data`` used (0 <= start_index < len(data)).
        end_index: steps from here on are not used (``start_index < end_index <
            len(data)``); None means "to the end".

    Returns:
        ``(X, y)``: ``X`` of shape ``(n_windows, L, *step_shape)`` with ``data``'s
        dtype, ``y`` of shape ``(n_windows, *target_shape)`` with ``targets``'s
        dtype, or None without targets. Both are READ-ONLY strided views of the
        inputs (zero copy; ``X`` overlaps itself when windows overlap): call
        ``X.copy()`` before writing. A non-NumPy input is converted once with
        ``np.asarray``.

    Raises:
        ConfigError: ``sequence_length``, ``sequence_stride`` or ``sampling_rate`` < 1;
            ``start_index`` < 0 or >= len(data); ``end_index`` <= start or >= len(data).
        ShapeError: ``targets`` shorter than ``start_index`` + the last window start
            (Keras fails on the same input, but only while iterating).

    Differences from Keras: ``sequence_stride >= len(data)`` and
    ``sampling_rate >= len(data)`` are accepted (Keras rejects them even when a
    window fits) and ``end_index=0`` is an error (Keras skips its checks for a
    falsy 0 and yields nothing). Keras turns Python lists of floats into float32;
    here they become ``np.asarray``'s float64.

    Example:
        >>> X, y = timeseries_windows(np.arange(99), None, 10, sampling_rate=2, sequence_stride=3)
        >>> X.shape, y
        ((27, 10), None)
        >>> X[-1]
        array([78, 80, 82, 84, 86, 88, 90, 92, 94, 96])
    """
    op = "timeseries_windows"
    L = check_int(op, "sequence_length", sequence_length, minimum=1)
    stride = check_int(op, "sequence_stride", sequence_stride, minimum=1)
    rate = check_int(op, "sampling_rate", sampling_rate, minimum=1)
    s = check_int(op, "start_index", start_index, minimum=0, allow_none=True)
    e = check_int(op, "end_index", end_index, minimum=0, allow_none=True)
    s = 0 if s is None else s
    if e is not None and e <= s:
        raise ConfigError(
            f"{op}: `end_index` must be greater than `start_index`. Received: start_index={s}, "
            f"end_index={e}.", argument="end_index", received=e,
            fix="pass end_index=None for 'to the end'")

    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim == 0:
        raise ShapeError(f"{op}: `data` must have a time axis (axis 0). Received a scalar.",
                         argument="data", received=())
    check_numeric(op, "data", arr)
    N = arr.shape[0]
    if s and s >= N:
        raise ConfigError(
            f"{op}: `start_index` must be lower than the length of the data. Received: "
            f"start_index={s}, for data of length {N}.", argument="start_index", received=s)
    if e is not None and e >= N:
        raise ConfigError(
            f"{op}: `end_index` must be lower than the length of the data. Received: "
            f"end_index={e}, for data of length {N}.", argument="end_index", received=e,
            fix="pass None for 'to the end'")
    e = N if e is None else e

    n = (e - s) - (L - 1) * rate
    tarr = None
    if targets is not None:
        tarr = targets if isinstance(targets, np.ndarray) else np.asarray(targets)
        if tarr.ndim == 0:
            raise ShapeError(f"{op}: `targets` must have one entry per step (axis 0). Received a scalar.",
                             argument="targets", received=())
        n = min(n, tarr.shape[0])
    count = (n + stride - 1) // stride if n > 0 else 0
    if tarr is not None and count and s + (count - 1) * stride >= tarr.shape[0]:
        j = max(0, -(-(tarr.shape[0] - s) // stride))  # first window without a target
        need = s + j * stride
        raise ShapeError(
            f"{op}: window {j} starts at step {need} and needs targets[{need}], but "
            f"`targets` has {tarr.shape[0]} entries. Received targets shape {shape_str(tarr.shape)}.",
            argument="targets", received=tarr.shape, index=j,
            fix="pass targets aligned with data (targets[i] belongs to the window starting at "
                "data[i]), or drop start_index and slice data and targets yourself")

    shape = (count, L) + arr.shape[1:]
    if count:
        st0 = arr.strides[0]
        # an axis of length 1 never moves: its stride is irrelevant (and a huge one would overflow)
        X = as_strided(arr[s:], shape=shape, strides=(stride * st0 if count > 1 else st0,
                                                      rate * st0 if L > 1 else st0) + arr.strides[1:],
                       writeable=False)
    else:
        try:
            X = readonly(np.empty(shape, dtype=arr.dtype))
        except (ValueError, MemoryError):  # (0, L, ...) with an absurd L
            raise ConfigError(f"{op}: `sequence_length`={L} is too large for any array.",
                              argument="sequence_length", received=L) from None
    y = None
    if tarr is not None:
        y = readonly(tarr[s:s + (count - 1) * stride + 1:stride] if count else tarr[:0])
    return X, y


# ---------------------------------------------------------------------------------------------
# Windows over each sequence of a SequenceSet
# ---------------------------------------------------------------------------------------------
class Windows:
    """Fixed-length windows over the sequences of a :class:`SequenceSet`, kept as indices.

    Nothing is copied when windows are made: a ``Windows`` holds the source set and,
    for each of its ``n`` windows, which sequence it comes from and where it starts.
    Values are gathered only when asked for (:meth:`batch`, :attr:`x`, :attr:`y`).
    A window never crosses a sequence boundary.

    Attributes:
        seqs: the source :class:`SequenceSet` (a lone series is wrapped as a set of one).
        source: int64 ``(n,)``: index of each window's sequence in ``seqs``.
        start: int64 ``(n,)``: position of the window's first step in its sequence.
        lengths: int64 ``(n,)``: real steps of each window; ``length`` except for the
            trailing windows kept with ``drop_incomplete=False``.
        length: ``L``, steps per full window. ``sampling_rate``: steps between two
            window steps. Step ``k`` of window ``j`` is step
            ``start[j] + k * sampling_rate`` of sequence ``source[j]``.
        target: ``"next"`` (forecast the steps after the window), ``"sequence"``
            (the window inherits ``seqs.targets[source]``) or None.
        horizon: for ``"next"``: 0 = the single next step, ``y`` ``(n, F_t)``;
            ``H >= 1`` = the next ``H`` steps, ``y`` ``(n, H, F_t)``.
        target_features: int64 ``(F_t,)``: the features forecast by ``"next"``.
    """

    __slots__ = ("seqs", "source", "start", "lengths", "length", "sampling_rate", "target",
                 "horizon", "target_features", "_x")

    def __init__(self, seqs: SequenceSet, source, start, lengths, *, length: int, sampling_rate: int = 1,
                 target: str | None = None, horizon: int = 0, target_features=None):
        self.seqs = seqs
        self.source = readonly(np.asarray(source, dtype=np.int64))
        self.start = readonly(np.asarray(start, dtype=np.int64))
        self.lengths = readonly(np.asarray(lengths, dtype=np.int64))
        self.length = int(length)
        self.sampling_rate = int(sampling_rate)
        self.target = target
        self.horizon = int(horizon)
        tf = np.arange(seqs.n_features) if target_features is None else target_features
        self.target_features = readonly(np.asarray(tf, dtype=np.int64))
        self._x = None

    # ------------------------------------------------------------------ indices
    def __len__(self) -> int:
        return int(self.source.shape[0])

    @property
    def n_features(self) -> int:
        return self.seqs.n_features

    @property
    def complete(self) -> bool:
        """True when every window has ``length`` steps."""
        return bool(np.all(self.lengths == self.length))

    @property
    def global_start(self) -> np.ndarray:
        """int64 ``(n,)``: row of ``seqs.values`` holding each window's first step."""
        return self.seqs.offsets[self.source] + self.start

    @property
    def last(self) -> np.ndarray:
        """int64 ``(n,)``: position of each window's last step in its sequence."""
        return self.start + (self.lengths - 1) * self.sampling_rate

    @property
    def target_start(self) -> np.ndarray | None:
        """int64 ``(n,)``: position of the first forecast step in its sequence (``"next"`` only).

        Forecast step ``h`` (0-based) of window ``j`` is step ``target_start[j] + h`` of
        sequence ``source[j]``: use it to put predictions back on the time axis.
        """
        return self.last + 1 if self.target == "next" else None

    @property
    def ids(self):
        """The id of each window's sequence (``seqs.ids[source]``), or None."""
        return None if self.seqs.ids is None else self.seqs.ids[self.source]

    def step_index(self, indices=None) -> np.ndarray:
        """int64 ``(B, L)``: rows of ``seqs.values`` of each window's steps (-1 past its end)."""
        g = self.global_start if indices is None else self.global_start[indices]
        lens = self.lengths if indices is None else self.lengths[indices]
        idx = g[:, None] + np.arange(self.length, dtype=np.int64) * self.sampling_rate
        if lens.size and lens.min() < self.length:
            idx[~length_mask(lens, self.length, "post")] = -1
        return idx

    # ------------------------------------------------------------------ values
    def __getitem__(self, j) -> np.ndarray:
        """Window ``j`` as a read-only ``(lengths[j], F)`` view of the source values."""
        n = len(self)
        if not isinstance(j, numbers.Integral) or isinstance(j, bool):
            raise ConfigError(f"Windows[j] takes one integer. Received {type(j).__name__}.", argument="j",
                              received=type(j).__name__, fix="use .take(indices) for a subset")
        if not -n <= j < n:
            raise IndexRangeError(f"Windows: window {j} is out of range for {n} windows.", argument="j",
                                  received=int(j), index=int(j), fix=f"use an index in -{n}..{n - 1}")
        j = int(j) % n
        v = self.seqs.values
        g, k = int(self.global_start[j]), int(self.lengths[j])
        return as_strided(v[g:], shape=(k,) + v.shape[1:],
                          strides=(self.sampling_rate * v.strides[0],) + v.strides[1:], writeable=False)

    @property
    def x(self) -> np.ndarray:
        """Read-only ``(n, L, F)`` array of every window (source dtype).

        A zero-copy strided view when the windows are evenly spaced full windows of one
        sequence (e.g. all windows of a lone series); otherwise a gathered copy, with
        the missing steps of incomplete windows set to 0 (see :attr:`lengths`). Copy it
        before writing. For training, :meth:`batch` gathers only a batch at a time.
        """
        if self._x is None:
            self._x = self._gather_x(None, None)
        return self._x

    @property
    def mask(self) -> np.ndarray:
        """bool ``(n, L)``: True on real steps (all True unless ``drop_incomplete=False``)."""
        return length_mask(self.lengths, self.length, "post")

    @property
    def y(self):
        """The targets of every window (a new array), or None.

        ``"next"``: ``(n, F_t)`` (``horizon=0``) or ``(n, H, F_t)`` values of the
        ``target_features`` right after each window. ``"sequence"``:
        ``seqs.targets[source]``.
        """
        return self._gather_y(None)

    def _gather_x(self, indices, dtype):
        v = self.seqs.values
        g = self.global_start if indices is None else self.global_start[indices]
        lens = self.lengths if indices is None else self.lengths[indices]
        L, r = self.length, self.sampling_rate
        B = g.shape[0]
        full = bool(lens.size == 0 or lens.min() == L)
        if full and indices is None and dtype is None and B:
            d = np.diff(g)
            if B == 1 or (d[0] > 0 and np.all(d == d[0])):
                step = int(d[0]) if B > 1 else 1
                return as_strided(v[int(g[0]):], shape=(B, L) + v.shape[1:],
                                  strides=(step * v.strides[0], r * v.strides[0]) + v.strides[1:],
                                  writeable=False)
        idx = g[:, None] + np.arange(L, dtype=np.int64) * r
        if not full:
            m = length_mask(lens, L, "post")
            idx = np.where(m, idx, g[:, None])  # any valid row; zeroed below
        out = v[idx] if dtype is None else v[idx].astype(dtype, copy=False)
        if not full:
            out[~m] = 0
        if indices is None and dtype is None:
            out.flags.writeable = False
        return out

    def _gather_y(self, indices):
        if self.target is None:
            return None
        src = self.source if indices is None else self.source[indices]
        if self.target == "sequence":
            return self.seqs.targets[src]
        H = max(self.horizon, 1)
        first = self.target_start if indices is None else self.target_start[indices]
        rows = (self.seqs.offsets[src] + first)[:, None] + np.arange(H, dtype=np.int64)
        y = self.seqs.values[rows[..., None], self.target_features]  # (B, H, F_t)
        return y[:, 0] if self.horizon == 0 else y

    def batch(self, indices=None, *, dtype="float32") -> Batch:
        """Gather windows into a :class:`~seqfeed.Batch` (copies only these windows).

        Args:
            indices: window indices (ints or a bool mask); default all windows.
            dtype: dtype of ``x`` (default float32, the LSTM input type).

        Returns:
            ``Batch(x (B, L, F), mask (B, L) True on real steps, lengths (B,), y, index)``
            with post padding (zeros) for incomplete windows; ``index`` holds the
            window indices, so ``source[index]`` / ``start[index]`` map predictions back.
        """
        idx = np.arange(len(self), dtype=np.int64) if indices is None else self._index(indices)
        x = self._gather_x(idx, np.dtype(dtype))
        lens = self.lengths[idx]
        return Batch(x=x, mask=length_mask(lens, self.length, "post"), lengths=lens.copy(),
                     y=self._gather_y(idx), index=idx, padding="post")

    def take(self, indices) -> "Windows":
        """A new ``Windows`` with the windows at ``indices`` (same source set)."""
        idx = self._index(indices)
        return Windows(self.seqs, self.source[idx], self.start[idx], self.lengths[idx],
                       length=self.length, sampling_rate=self.sampling_rate, target=self.target,
                       horizon=self.horizon, target_features=self.target_features)

    def _index(self, indices) -> np.ndarray:
        n = len(self)
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (n,):
                raise ShapeError(f"Windows: a boolean mask must have shape ({n},). Received shape "
                                 f"{shape_str(idx.shape)}.", argument="indices", received=idx.shape)
            return np.flatnonzero(idx)
        if idx.size == 0:
            return np.zeros(0, dtype=np.int64)
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise ConfigError(f"Windows: `indices` must be a 1-D array of ints or a bool mask. Received "
                              f"dtype {idx.dtype}, shape {shape_str(idx.shape)}.", argument="indices")
        if idx.min() < -n or idx.max() >= n:
            bad = int(np.flatnonzero((idx < -n) | (idx >= n))[0])
            raise IndexRangeError(f"Windows: indices[{bad}]={int(idx[bad])} is out of range for {n} windows.",
                                  argument="indices", received=int(idx[bad]), index=bad,
                                  fix=f"use window indices in -{n}..{n - 1}")
        return np.where(idx < 0, idx + n, idx).astype(np.int64)

    def __repr__(self) -> str:
        tgt = "None" if self.target is None else repr(self.target)
        if self.target == "next":
            tgt += f", horizon={self.horizon}, target_features={self.target_features.tolist()}"
        inc = "" if self.complete else f", {int(np.sum(self.lengths < self.length))} incomplete"
        return (f"Windows(n={len(self)}, length={self.length}, sampling_rate={self.sampling_rate}, "
                f"features={self.n_features}, from {len(self.seqs)} sequences, target={tgt}{inc})")


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
                          f"target={target!r}.", argument="horizon", received=horizon)
    if target != "next" and target_features is not None:
        raise ConfigError(f"{op}: `target_features` applies to target='next'. Received: "
                          f"target={target!r}.", argument="target_features", received=target_features)
    if not isinstance(drop_incomplete, (bool, np.bool_)):
        raise ConfigError(f"{op}: `drop_incomplete` must be True or False. Received: "
                          f"drop_incomplete={drop_incomplete!r}.", argument="drop_incomplete",
                          received=drop_incomplete)
    return L, stride, rate, horizon


def resolve_features(op: str, seqs: SequenceSet, target_features) -> np.ndarray | None:
    """``target_features`` (int, name, or a list of them) -> int64 feature indices."""
    if target_features is None:
        return None
    F = seqs.n_features
    items = [target_features] if isinstance(target_features, (str, numbers.Integral)) \
        else list(target_features)
    if not items:
        raise ConfigError(f"{op}: `target_features` is empty.", argument="target_features",
                          fix="pass None to forecast every feature")
    out = []
    for f in items:
        if isinstance(f, str):
            names = seqs.feature_names or ()
            if f not in names:
                raise ConfigError(
                    f"{op}: `target_features` names {f!r}, which is not a feature. Received feature "
                    f"names {list(names) if names else None}.", argument="target_features", received=f,
                    fix="pass feature indices, or build the set with feature_names=")
            out.append(names.index(f))
        elif isinstance(f, numbers.Integral) and not isinstance(f, bool) and -F <= f < F:
            out.append(int(f) % F)
        else:
            raise ConfigError(f"{op}: `target_features` entry {f!r} is not a feature index in "
                              f"0..{F - 1} or a feature name.", argument="target_features", received=f)
    return np.asarray(out, dtype=np.int64)


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


def sliding_windows(seqs, length, *, stride=1, sampling_rate=1, horizon=0, target="next",
                    target_features=None, drop_incomplete=True) -> Windows:
    """Windows of ``length`` steps over every sequence, never crossing a sequence boundary.

    Window ``j`` of a sequence starts at step ``j * stride`` and holds steps
    ``start + k * sampling_rate`` for ``k < length`` (the Keras
    ``sequence_stride``/``sampling_rate`` meaning).

    Args:
        seqs: a :class:`SequenceSet`, or ONE series as a NumPy array ``(T,)`` / ``(T, F)``
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
    s, _ = as_series_or_set(op, seqs, "seqs")
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
