"""`SequenceSet`: variable-length sequences stored ragged (values + offsets)."""

from __future__ import annotations

import numbers
from typing import Iterator, Sequence

import numpy as np

from .._checks import check_indices
from .._errors import ConfigError, DataError, IndexRangeError, ShapeError, check_choice, shape_str
from ._ragged import _arrow_to_values, _check_lengths, _lengths_from_mask, _list_to_values, check_numeric, gather_index

__all__ = ["SequenceSet"]


def _readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (the caller's array itself is left untouched)."""
    v = a.view()
    v.flags.writeable = False
    return v


class SequenceSet:
    """A set of ``n`` variable-length sequences of ``F`` features each, stored ragged.

    Layout (the same as Arrow list arrays, ``tf.RaggedTensor`` row splits and the
    data of torch's ``PackedSequence``):

    * ``values``: array ``(N_steps, F)``: every step of every sequence, back to back.
    * ``offsets``: int64 ``(n + 1,)``; sequence ``i`` is ``values[offsets[i]:offsets[i + 1]]``.

    Invariants, checked once on construction:

    * ``values`` is 2-D with a numeric dtype (bool, int, uint or float); a 1-D
      ``values`` is taken as ``(N_steps, 1)``.
    * ``offsets`` is 1-D int64, ``offsets[0] == 0``, non-decreasing, and
      ``offsets[-1] == len(values)``. Empty sequences (equal neighbours) are allowed
      in the set; padding and models reject them where they cannot be used.
    * ``targets`` (per sequence) has ``len(targets) == n``; ``step_targets`` (one
      per step, for tagging) has ``len(step_targets) == N_steps``.
    * ``ids`` has ``len(ids) == n``; ``feature_names`` has ``F`` entries.

    The set never copies or modifies the arrays it is given; it keeps read-only
    views of them, so indexing a sequence returns a read-only view.

    Example:
        >>> s = SequenceSet.from_sequences([[1.0, 2.0, 3.0], [4.0]])
        >>> s.lengths
        array([3, 1])
        >>> s.offsets
        array([0, 3, 4])
        >>> s[1]
        array([[4.]])
    """

    __slots__ = ("values", "offsets", "targets", "step_targets", "ids", "feature_names", "_lengths")

    def __init__(self, values, offsets, *, targets=None, step_targets=None, ids=None,
                 feature_names: Sequence[str] | None = None):
        op = "SequenceSet"
        values = np.asarray(values)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        if values.ndim != 2:
            raise ShapeError(
                f"{op}: `values` must be 2-D (total_steps, features). "
                f"Received shape {shape_str(values.shape)}.",
                argument="values", received=values.shape,
                fix="stack every step of every sequence into one (total_steps, features) array",
            )
        check_numeric(op, "values", values)
        if values.shape[1] == 0:
            raise ShapeError(f"{op}: `values` has 0 features per step (shape "
                             f"{shape_str(values.shape)}); an LSTM needs at least one.",
                             argument="values", received=values.shape,
                             fix="give every step at least one feature")
        offsets = np.asarray(offsets)
        if offsets.ndim != 1 or offsets.shape[0] < 1:
            raise ShapeError(
                f"{op}: `offsets` must be 1-D with n + 1 >= 1 entries. "
                f"Received shape {shape_str(offsets.shape)}.",
                argument="offsets", received=offsets.shape,
            )
        if offsets.dtype.kind not in "iu":
            raise ConfigError(
                f"{op}: `offsets` must be integers. Received dtype {offsets.dtype}.",
                argument="offsets", received=str(offsets.dtype),
            )
        offsets = offsets.astype(np.int64, copy=False)
        if offsets[0] != 0:
            raise DataError(
                f"{op}: `offsets[0]` must be 0. Received offsets[0]={int(offsets[0])}.",
                argument="offsets", received=int(offsets[0]), index=0,
                fix="subtract offsets[0] from offsets and slice values accordingly",
            )
        steps = np.diff(offsets)
        bad = np.flatnonzero(steps < 0)
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{op}: `offsets` must be non-decreasing; offsets[{i + 1}]={int(offsets[i + 1])} "
                f"< offsets[{i}]={int(offsets[i])} (sequence {i} would have a negative length).",
                argument="offsets", received=int(offsets[i + 1]), index=i,
            )
        if offsets[-1] != values.shape[0]:
            raise ShapeError(
                f"{op}: `offsets[-1]` must equal len(values). Received offsets[-1]={int(offsets[-1])}, "
                f"values shape {shape_str(values.shape)}.",
                argument="offsets", received=int(offsets[-1]),
            )
        n = offsets.shape[0] - 1
        self.values = _readonly(values)
        self.offsets = _readonly(offsets)
        self._lengths = _readonly(steps)
        self.targets = self._check_len("targets", targets, n, "sequences")
        self.step_targets = self._check_len("step_targets", step_targets, values.shape[0], "steps")
        self.ids = self._check_len("ids", ids, n, "sequences")
        if feature_names is not None:
            feature_names = tuple(str(f) for f in feature_names)
            if len(feature_names) != values.shape[1]:
                raise ShapeError(
                    f"{op}: `feature_names` has {len(feature_names)} names for "
                    f"{values.shape[1]} features.",
                    argument="feature_names", received=len(feature_names),
                )
        self.feature_names = feature_names

    @staticmethod
    def _check_len(name, arr, n, what):
        if arr is None:
            return None
        arr = np.asarray(arr)
        if arr.ndim == 0 or arr.shape[0] != n:
            raise ShapeError(
                f"SequenceSet: `{name}` must have one entry per {what[:-1]} ({n}). "
                f"Received shape {shape_str(arr.shape)}.",
                argument=name, received=arr.shape,
            )
        return _readonly(arr)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_sequences(cls, sequences, *, targets=None, step_targets=None, ids=None,
                       feature_names=None, dtype=None) -> "SequenceSet":
        """Build from a list of sequences, each 1-D ``(T_i,)`` or 2-D ``(T_i, F)``.

        A 1-D sequence is one feature per step. Every sequence must have the same
        number of features. ``step_targets`` may be a list of per-step arrays (one per
        sequence, same lengths). The values are copied once into a contiguous array.
        """
        values, offsets = _list_to_values("SequenceSet.from_sequences", sequences, dtype=dtype, name="sequences")
        if step_targets is not None and not isinstance(step_targets, np.ndarray):
            parts = [np.asarray(t) for t in step_targets]
            for i, t in enumerate(parts):
                if t.shape[:1] != (offsets[i + 1] - offsets[i],):
                    raise ShapeError(
                        f"SequenceSet.from_sequences: `step_targets[{i}]` has shape "
                        f"{shape_str(t.shape)} but sequence {i} has {offsets[i + 1] - offsets[i]} steps.",
                        argument="step_targets", received=t.shape, index=i,
                    )
            step_targets = np.concatenate(parts) if parts else np.zeros((0,))
        return cls(values, offsets, targets=targets, step_targets=step_targets, ids=ids,
                   feature_names=feature_names)

    @classmethod
    def from_padded(cls, x, *, lengths=None, mask=None, input_padding: str = "post", targets=None,
                    ids=None, feature_names=None) -> "SequenceSet":
        """Build from a dense ``(B, T, F)`` (or ``(B, T)``) array and lengths or a mask.

        Args:
            x: padded batch; ``(B, T)`` is read as one feature per step.
            lengths: int ``(B,)``, the number of real steps of each row.
            mask: bool ``(B, T)``, True on real steps; it must be one contiguous run
                at the side given by ``input_padding`` (a hole in the mask is an error).
            input_padding: the side of the padding in ``x``: ``"post"`` (real steps
                first) or ``"pre"`` (real steps last).

        Without ``lengths`` and ``mask`` every row is taken as full length ``T``.
        """
        op = "SequenceSet.from_padded"
        check_choice(op, "input_padding", input_padding, ("pre", "post"))
        x = np.asarray(x)
        if x.ndim == 2:
            x = x[:, :, None]
        if x.ndim != 3:
            raise ShapeError(
                f"{op}: `x` must be 3-D (batch, time_steps, features). Received shape {shape_str(x.shape)}.",
                argument="x", received=x.shape,
            )
        check_numeric(op, "x", x)
        B, T, F = x.shape
        if F == 0:
            raise ShapeError(f"{op}: `x` has 0 features per step (shape {shape_str(x.shape)}); an "
                             f"LSTM needs at least one.", argument="x", received=x.shape)
        if lengths is not None and mask is not None:
            raise ConfigError(f"{op}: pass `lengths` or `mask`, not both.", argument="mask")
        if mask is not None:
            lengths = _lengths_from_mask(op, mask, (B, T), input_padding)
        elif lengths is not None:
            lengths = _check_lengths(op, lengths, B, T)
        else:
            lengths = np.full(B, T, dtype=np.int64)
        offsets = np.zeros(B + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if input_padding == "post":
            keep = np.arange(T) < lengths[:, None]
        else:
            keep = np.arange(T) >= (T - lengths)[:, None]
        values = x[keep]  # row-major order: sequence by sequence, step by step
        return cls(values.reshape(-1, F), offsets, targets=targets, ids=ids,
                   feature_names=feature_names)

    @classmethod
    def from_arrow(cls, array, *, targets=None, ids=None, feature_names=None) -> "SequenceSet":
        """Build from an Arrow list array (or a Parquet list column read with PyArrow).

        Accepted types: ``list<number>`` / ``large_list<number>`` (one feature per
        step), ``list<fixed_size_list<number, F>>`` (F features per step), and a
        ``ChunkedArray`` of those. Values are shared with Arrow (no copy) when the
        column has a single chunk and no nulls; int32 offsets are widened to int64.
        """
        values, offsets = _arrow_to_values("SequenceSet.from_arrow", array)
        return cls(values, offsets, targets=targets, ids=ids, feature_names=feature_names)

    # ------------------------------------------------------------------ properties
    @property
    def lengths(self) -> np.ndarray:
        """int64 ``(n,)``: the number of steps of each sequence."""
        return self._lengths

    @property
    def n_features(self) -> int:
        return int(self.values.shape[1])

    @property
    def n_steps(self) -> int:
        return int(self.values.shape[0])

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def __iter__(self) -> Iterator[np.ndarray]:
        o = self.offsets.tolist()
        v = self.values
        for i in range(len(o) - 1):
            yield v[o[i]:o[i + 1]]

    def __getitem__(self, key):
        """``s[i]`` is a read-only ``(T_i, F)`` view; ``s[slice|indices|bool mask]`` a new set."""
        n = len(self)
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            i = int(key)
            if not -n <= i < n:
                raise IndexRangeError(f"SequenceSet index {i} is out of range for {n} sequences.",
                                      argument="key", received=i, index=i,
                                      fix=f"use an index in -{n}..{n - 1}")
            i %= n
            return self.values[self.offsets[i]:self.offsets[i + 1]]
        if isinstance(key, slice):
            return self.take(np.arange(n)[key])
        return self.take(key)

    @classmethod
    def concat(cls, sets) -> "SequenceSet":
        """One set holding the sequences of ``sets`` in order (values are copied once).

        Every set must have the same number of features and the same optional
        fields (targets, step targets, ids); feature names are kept when they agree.
        """
        sets = list(sets)
        op = "SequenceSet.concat"
        bad = [i for i, s in enumerate(sets) if not isinstance(s, SequenceSet)]
        if not sets or bad:
            raise ConfigError(f"{op}: `sets` must be a non-empty list of SequenceSets"
                              + (f"; sets[{bad[0]}] is a {type(sets[bad[0]]).__name__}." if bad else "."),
                              argument="sets", received=type(sets[bad[0]]).__name__ if bad else "[]",
                              index=bad[0] if bad else None,
                              fix="convert each part with seqfeed.as_sequence_set(...) first")
        f0 = sets[0].n_features
        for i, s in enumerate(sets):
            if s.n_features != f0:
                raise ShapeError(f"{op}: set {i} has {s.n_features} features; set 0 has {f0}.",
                                 argument="sets", received=s.n_features, index=i)
            for field in ("targets", "step_targets", "ids"):
                if (getattr(s, field) is None) != (getattr(sets[0], field) is None):
                    raise DataError(f"{op}: set {i} {'lacks' if getattr(s, field) is None else 'has'} "
                                    f"`{field}` and set 0 {'has' if getattr(s, field) is None else 'lacks'} them.",
                                    argument="sets", index=i, fix=f"give every set `{field}`, or none")
        lengths = np.concatenate([s.lengths for s in sets])
        offsets = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])

        def cat(field):
            parts = [getattr(s, field) for s in sets]
            return None if parts[0] is None else np.concatenate(parts)

        names = sets[0].feature_names if all(s.feature_names == sets[0].feature_names for s in sets) else None
        return cls(np.concatenate([s.values for s in sets]), offsets, targets=cat("targets"),
                   step_targets=cat("step_targets"), ids=cat("ids"), feature_names=names)

    def take(self, indices) -> "SequenceSet":
        """A new set holding the sequences at ``indices`` (ints or a bool mask), in that order.

        A contiguous increasing range shares ``values`` with this set; any other
        selection copies the selected steps.
        """
        idx = check_indices("SequenceSet.take", indices, len(self))
        lengths = self._lengths[idx]
        offsets = np.zeros(idx.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if idx.size and np.all(np.diff(idx) == 1):
            a, b = int(self.offsets[idx[0]]), int(self.offsets[idx[-1] + 1])
            values = self.values[a:b]
            step_targets = None if self.step_targets is None else self.step_targets[a:b]
        else:
            step_index = gather_index(self.offsets[idx], lengths, int(offsets[-1]))
            values = self.values[step_index]
            step_targets = None if self.step_targets is None else self.step_targets[step_index]
        return SequenceSet(
            values, offsets,
            targets=None if self.targets is None else self.targets[idx],
            step_targets=step_targets,
            ids=None if self.ids is None else self.ids[idx],
            feature_names=self.feature_names,
        )

    def with_values(self, values, *, feature_names=None) -> "SequenceSet":
        """The same sequences (offsets, targets, ids) with new ``(N_steps, F')`` values."""
        return SequenceSet(values, self.offsets, targets=self.targets, step_targets=self.step_targets,
                           ids=self.ids, feature_names=feature_names)

    def select_features(self, names, *, _op: str = "SequenceSet.select_features",
                        _error: type = ShapeError, _fix: str | None = None) -> "SequenceSet":
        """The features called ``names``, in that order (matching by name, whatever the column order).

        A set without feature names, or whose names already equal ``names``, is returned as it is.
        A name the set does not have raises a :class:`ShapeError` naming every missing feature,
        the expected names and the set's own. (``_op``, ``_error`` and ``_fix`` are private: the
        calling operation's name, error class and hint.)

        >>> s = SequenceSet(np.arange(6.0).reshape(3, 2), [0, 3], feature_names=["b", "a"])
        >>> s.select_features(["a", "b"]).values[:, 0]
        array([1., 3., 5.])
        """
        op, error, fix = _op, _error, _fix
        want, have = [str(n) for n in names], self.feature_names
        if not want or not have or list(have) == want:
            return self
        have = list(have)
        missing = [f for f in want if f not in have]
        if missing:
            raise error(f"{op}: the data has no feature {', '.join(map(repr, missing))}; expected "
                        f"{', '.join(map(repr, want))} (matched by name, in any order). Features of the "
                        f"data: {have}.", argument="data", received=have,
                        fix=fix or "give the data the feature names the model was trained on")
        idx = [have.index(f) for f in want]
        return SequenceSet(self.values[:, idx], self.offsets, targets=self.targets,
                           step_targets=self.step_targets, ids=self.ids, feature_names=want)

    def with_targets(self, targets=None, *, step_targets=None) -> "SequenceSet":
        return SequenceSet(self.values, self.offsets, targets=targets, step_targets=step_targets,
                           ids=self.ids, feature_names=self.feature_names)

    def to_list(self) -> list[np.ndarray]:
        """A list of ``(T_i, F)`` read-only views, one per sequence."""
        return list(self)

    def to_arrow(self):
        """A ``pyarrow.ListArray`` of ``fixed_size_list<value, F>`` sharing this set's values."""
        import pyarrow as pa

        values = np.ascontiguousarray(self.values)
        flat = pa.array(values.reshape(-1))
        inner = pa.FixedSizeListArray.from_arrays(flat, self.n_features)
        return pa.LargeListArray.from_arrays(pa.array(self.offsets), inner)

    # ``pad(**options)`` (-> Batch) is defined in _pad.py, next to the function it calls: padding
    # sits above this module, so the method is attached there rather than imported from here.

    def __repr__(self) -> str:
        n = len(self)
        if n:
            L = self._lengths
            lens = f"lengths {int(L.min())}..{int(L.max())} (median {float(np.median(L)):g})"
        else:
            lens = "no sequences"
        extra = ""
        if self.targets is not None:
            extra += f", targets {shape_str(self.targets.shape)}"
        if self.step_targets is not None:
            extra += f", step_targets {shape_str(self.step_targets.shape)}"
        return f"SequenceSet(n={n}, features={self.n_features}, {lens}, dtype={self.dtype}{extra})"

    def __eq__(self, other):  # pragma: no cover - explicit to avoid accidental use
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


