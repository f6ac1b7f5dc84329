"""The ragged `Windows` type: fixed-length windows over a SequenceSet, kept as indices.

Shape symbols: ``n`` windows, ``L`` window length (``length``), ``F`` features per
step, ``H`` forecast horizon, ``F_t`` forecast features. Windows are made by
:func:`seqfeed.transforms.sliding_windows` (``_sliding.py``) and the time splits.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._checks import check_indices
from .._errors import ConfigError, IndexRangeError, ShapeError, check_choice, check_int, shape_str
from ..core import Batch, SequenceSet
from ..core._copy import length_mask
from ._common import readonly

__all__ = ["Windows"]


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

    Raises:
        ConfigError: ``seqs`` not a SequenceSet, or an option out of range (``length`` < 1, ...).
        ShapeError: ``source``/``start``/``lengths`` not 1-D integer arrays of one length.
        IndexRangeError: a window that does not lie inside its sequence.
    """

    __slots__ = ("seqs", "source", "start", "lengths", "length", "sampling_rate", "target",
                 "horizon", "target_features", "_x")

    def __init__(self, seqs: SequenceSet, source, start, lengths, *, length: int, sampling_rate: int = 1,
                 target: str | None = None, horizon: int = 0, target_features=None):
        op = "Windows"
        if not isinstance(seqs, SequenceSet):
            raise ConfigError(f"{op}: `seqs` must be a SequenceSet. Received type {type(seqs).__name__}.",
                              argument="seqs", received=type(seqs).__name__,
                              fix="make windows with seqfeed.sliding_windows(...)")
        self.length = check_int(op, "length", length, minimum=1)
        self.sampling_rate = check_int(op, "sampling_rate", sampling_rate, minimum=1)
        self.horizon = check_int(op, "horizon", horizon, minimum=0)
        if target is not None:
            check_choice(op, "target", target, ("next", "sequence"))
        self.seqs = seqs
        self.target = target
        arrays = []
        for name, a in (("source", source), ("start", start), ("lengths", lengths)):
            a = np.asarray(a)
            if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
                raise ShapeError(f"{op}: `{name}` must be a 1-D integer array. Received dtype {a.dtype}, shape "
                                 f"{shape_str(a.shape)}.", argument=name, received=a.shape,
                                 fix="make windows with seqfeed.sliding_windows(...)")
            arrays.append(a.astype(np.int64, copy=False))
        src, st, ln = arrays
        if not src.shape == st.shape == ln.shape:
            raise ShapeError(f"{op}: `source`, `start` and `lengths` must have one entry per window. Received "
                             f"shapes {shape_str(src.shape)}, {shape_str(st.shape)}, {shape_str(ln.shape)}.",
                             argument="start", received=(src.shape, st.shape, ln.shape),
                             fix="pass three arrays of the same length")
        if src.size:
            seq_len = seqs.lengths[np.clip(src, 0, max(len(seqs) - 1, 0))] if len(seqs) else np.zeros_like(src)
            bad = (src < 0) | (src >= len(seqs)) | (st < 0) | (ln < 1) | (ln > self.length) | \
                (st + (ln - 1) * self.sampling_rate >= seq_len)
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise IndexRangeError(f"{op}: window {j} (source {int(src[j])}, start {int(st[j])}, length "
                                      f"{int(ln[j])}) does not lie inside a sequence of the set.",
                                      argument="start", received=int(st[j]), index=j,
                                      fix="make windows with seqfeed.sliding_windows(...)")
        self.source, self.start, self.lengths = (readonly(a) for a in arrays)
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
                                  received=int(j), index=int(j) if j >= 0 else None,
                                  fix=f"use an index in -{n}..{n - 1}")
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
        return check_indices("Windows", indices, n, what="windows", fix=f"use window indices in -{n}..{n - 1}")

    def __repr__(self) -> str:
        tgt = "None" if self.target is None else repr(self.target)
        if self.target == "next":
            tgt += f", horizon={self.horizon}, target_features={self.target_features.tolist()}"
        inc = "" if self.complete else f", {int(np.sum(self.lengths < self.length))} incomplete"
        return (f"Windows(n={len(self)}, length={self.length}, sampling_rate={self.sampling_rate}, "
                f"features={self.n_features}, from {len(self.seqs)} sequences, target={tgt}{inc})")
