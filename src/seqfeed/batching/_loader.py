"""`BatchLoader`: a sampler's index batches -> padded `Batch`es in reused buffers."""

from __future__ import annotations

import numpy as np

from .._checks import check_choice, check_float, check_indices, check_int, round_up
from .._errors import DataError
from ..core import Batch, SetPadder, as_sequence_set, check_dtype, check_value, pad_set

__all__ = ["BatchLoader"]


class BatchLoader:
    """Iterate padded batches of a :class:`SequenceSet` in the order a sampler gives.

    Each batch is padded only to its own longest member (rounded up to
    ``multiple_of`` if given), post padding by default, into one of ``n_buffers``
    reused buffers: a yielded :class:`Batch` stays valid until ``n_buffers - 1``
    further batches have been produced (Keras and tf.data copy each batch when
    they receive it). Pass ``n_buffers=0`` to allocate every batch afresh.

    Args:
        seqs: a SequenceSet (or anything :func:`seqfeed.as_sequence_set` reads).
        sampler: a sampler built on the same lengths.
        padding, value, dtype, multiple_of: as in :func:`seqfeed.pad`.
        allow_empty: if False (default), an empty sequence is an error: a fully
            masked row has no output to learn from.
        balance: weight every row by ``B / mean batch size`` (``sample_weight``), so
            that with batches of different sizes (token budgets, adaptive batches)
            every sequence counts the same in the gradient: Keras averages the loss
            per batch, which otherwise up-weights the rows of small batches.
        crop: augmentation for sequence-level tasks: each time a sequence is
            batched, a random contiguous part of at least ``crop`` (a fraction in
            (0, 1]) of its steps is used instead of the whole; seeded by the
            sampler's seed and epoch. None (default) uses whole sequences.

    Raises:
        ConfigError: an invalid option (``padding``, ``dtype``, ``value``, ``multiple_of``, ``crop``, ...).
        DataError: a ``sampler`` built on other lengths than ``seqs``, or an empty sequence without
            ``allow_empty``.
    """

    def __init__(self, data, sampler, *, padding: str = "post", value=0.0, dtype="float32",
                 multiple_of: int | None = None, n_buffers: int = 2, allow_empty: bool = False,
                 crop: float | None = None, balance: bool = False):
        op = "BatchLoader"
        self.balance = bool(balance)
        crop = check_float(op, "crop", crop, low=0, high=1, low_open=True, allow_none=True,
                           fix="pass a fraction of each sequence to keep, e.g. crop=0.8")
        self.crop = None if crop is None or crop == 1 else float(crop)
        check_choice(op, "padding", padding, ("pre", "post"))
        self.multiple_of = check_int(op, "multiple_of", multiple_of, minimum=1, allow_none=True)
        self.n_buffers = check_int(op, "n_buffers", n_buffers, minimum=0)
        self.dtype = check_dtype(op, dtype)
        self.value = check_value(op, value, self.dtype)
        self.seqs = as_sequence_set(data, _op=op)
        self.sampler = sampler
        self.padding = padding
        if sampler.lengths.shape != self.seqs.lengths.shape or not np.array_equal(
                sampler.lengths, self.seqs.lengths):
            raise DataError(f"{op}: the sampler was built on other lengths ({sampler.lengths.size} "
                            f"sequences) than these {len(self.seqs)} sequences.", argument="sampler",
                            received=int(sampler.lengths.size),
                            fix="build the sampler from the same SequenceSet: Sampler(data.lengths, ...)")
        if not allow_empty and len(self.seqs) and self.seqs.lengths.min() == 0:
            i = int(np.argmin(self.seqs.lengths))
            raise DataError(f"{op}: sequence {i} is empty; a fully masked row has no output.",
                            argument="data", index=i, fix="drop empty sequences: data.take(data.lengths > 0)")
        # a shape-bounded sampler (ShapeBucketSampler) fixes the (rows, time_steps) of each batch
        self._shape_of = getattr(sampler, "batch_shape", None)
        self._buffers: list[np.ndarray | None] = [None] * self.n_buffers
        self._buffer_bytes: list[np.ndarray | None] = [None] * self.n_buffers  # their uint8 views
        self._last_bytes: np.ndarray | None = None  # the uint8 view of what _buffer returned last
        self._turn = 0
        self._mean_size, self._mean_size_epoch = 0.0, None
        # Everything a batch needs that does not depend on the batch is prepared here, once: the
        # per-batch path is then two compiled calls (longest member, then gather) and two small allocations.
        self._padder = None
        if self.crop is None and self.seqs.step_targets is None:
            padder = SetPadder(self.seqs, dtype=self.dtype, value=self.value, padding=padding)
            self._padder = padder if padder.usable else None

    def __len__(self) -> int:
        return len(self.sampler)

    def batch(self, indices) -> "Batch":  # noqa: F821
        """Pad the sequences at ``indices`` (ints in ``0..len(seqs) - 1``) into the next buffer."""
        return self._batch(check_indices("BatchLoader.batch", indices, len(self.seqs), negative=False, mask=False,
                                         fix=f"use positions 0..{len(self.seqs) - 1}"))

    def _batch(self, indices: np.ndarray) -> "Batch":  # noqa: F821
        """`batch` on int64 indices known to be in range (the sampler's own batches)."""
        if self._padder is not None and indices.size:
            batch = self._batch_compiled(indices)
            if batch is not None:
                return batch
        out = None
        shape = self._shape_of(indices) if self._shape_of is not None else None
        if self.n_buffers:
            if shape is not None:
                T = shape[1]
                need = max(shape[0], indices.size) * T * self.seqs.n_features
            else:
                L = self.seqs.lengths[indices]
                T = int(L.max()) if L.size else 0
                if self.multiple_of:
                    T = round_up(T, self.multiple_of)
                need = indices.size * T * self.seqs.n_features
            out = self._buffer(need)
        spans = self._crop_spans(indices) if self.crop is not None else None
        if shape is not None:
            batch = pad_set(self.seqs, indices=indices, padding=self.padding, value=self.value,
                            dtype=self.dtype, out=out, maxlen=shape[1], _op="BatchLoader", spans=spans)
            batch = _add_filler_rows(batch, shape[0], self.value, out)
        else:
            batch = pad_set(self.seqs, indices=indices, padding=self.padding, value=self.value,
                            dtype=self.dtype, out=out, multiple_of=self.multiple_of, _op="BatchLoader",
                            spans=spans)
        if self.balance:
            self._apply_balance(batch, indices.size)
        return batch

    def _buffer(self, need: int) -> np.ndarray:
        """The next reused buffer (grown to ``need`` elements), or a fresh one with ``n_buffers=0``."""
        if not self.n_buffers:
            self._last_bytes = None
            return np.empty(max(need, 1), dtype=self.dtype)
        k = self._turn % self.n_buffers
        buf = self._buffers[k]
        if buf is None or buf.size < need:
            buf = np.empty(max(need, 1), dtype=self.dtype)
            self._buffers[k] = buf
            self._buffer_bytes[k] = buf.view(np.uint8)
        self._last_bytes = self._buffer_bytes[k]
        self._turn += 1
        return buf

    def _batch_compiled(self, indices: np.ndarray):
        """The whole batch in two compiled calls (None when the compiled kernels are not in use).

        The per-batch path of training: no check that the loader already made once, no Python
        step per row, and the batch built without re-checking the shapes it was given."""
        padder = self._padder
        B = indices.size
        shape_of = self._shape_of
        if shape_of is not None:
            shape = shape_of(indices)
            T, rows = int(shape[1]), max(int(shape[0]), B)
        else:
            shape = None
            T = padder.longest(indices)
            if self.multiple_of:
                T = -(-T // self.multiple_of) * self.multiple_of
            rows = B
        if T == 0 or not padder.ready(B * T):
            return None
        buf = self._buffer(rows * T * padder.n_features)
        x, mask, lengths = padder.pad(indices, T, buf, self._last_bytes)
        targets = self.seqs.targets
        batch = Batch._unchecked(x, mask, lengths, None if targets is None else targets[indices], indices,
                                 self.padding)
        if shape is not None:
            batch = _add_filler_rows(batch, shape[0], self.value, buf)
        if self.balance:
            self._apply_balance(batch, B)
        return batch

    def _apply_balance(self, batch, n_rows: int) -> None:
        mean_size = self._mean_batch_size()
        w = np.float32(n_rows / mean_size) if mean_size else np.float32(1.0)
        if batch.sample_weight is None:
            batch.sample_weight = np.full(batch.x.shape[0], w, dtype=np.float32)
        else:
            batch.sample_weight = batch.sample_weight * w

    def _mean_batch_size(self) -> float:
        """Mean rows per batch of the sampler's current epoch (computed once per epoch)."""
        epoch = self.sampler.epoch
        if self._mean_size_epoch != epoch:
            plan = self.sampler.batches(epoch)
            self._mean_size = sum(b.size for b in plan) / max(len(plan), 1)
            self._mean_size_epoch = epoch
        return self._mean_size

    def _crop_spans(self, indices):
        L = self.seqs.lengths[indices]
        key = [self.sampler.seed, self.sampler.epoch, 7, int(indices[0]) if indices.size else 0, int(indices.size)]
        rng = np.random.default_rng(key)
        keep = np.maximum(1, np.ceil(L * rng.uniform(self.crop, 1.0, L.size))).astype(np.int64)
        keep = np.minimum(keep, L)
        first = np.floor(rng.random(L.size) * (L - keep + 1)).astype(np.int64)
        return first, keep

    def __iter__(self):
        for idx in self.sampler:
            yield self._batch(np.ascontiguousarray(idx, dtype=np.int64))  # the sampler's own indices: no re-check


def _add_filler_rows(batch, rows: int, value, out) -> "Batch":  # noqa: F821
    """Grow ``batch`` to ``rows`` rows with filler rows: padding only, mask all False, length 0,
    index -1, sample weight 0. The real rows' weights become ``rows / real rows``, so that
    Keras' mean over the batch equals the mean over the real rows."""
    n, T, F = batch.x.shape
    extra = rows - n
    if extra <= 0:  # a full batch: weights only (every batch of the epoch carries them)
        if batch.sample_weight is None:
            batch.sample_weight = np.ones(n, dtype=np.float32)
        return batch
    if out is not None and out.ndim == 1 and out.size >= rows * T * F:
        x = out[:rows * T * F].reshape(rows, T, F)  # batch.x is a view of the start of `out`
        x[n:] = value
    else:
        x = np.concatenate([batch.x, np.full((extra, T, F), value, dtype=batch.x.dtype)])
    mask = np.zeros((rows, T), dtype=bool)
    mask[:n] = batch.mask
    lengths = np.concatenate([batch.lengths, np.zeros(extra, dtype=np.int64)])
    index = np.concatenate([batch.index, np.full(extra, -1, dtype=np.int64)])
    y = batch.y
    if y is not None:
        y = np.concatenate([y, np.zeros((extra,) + y.shape[1:], dtype=y.dtype)])
    scale = np.float32(rows / n) if n else np.float32(0.0)
    if batch.sample_weight is None:
        w = np.zeros(rows, dtype=np.float32)
        w[:n] = scale
    else:
        sw = batch.sample_weight
        w = np.zeros((rows,) + sw.shape[1:], dtype=np.float32)
        w[:n] = sw * scale
    return type(batch)(x=x, mask=mask, lengths=lengths, y=y, index=index, padding=batch.padding,
                       sample_weight=w)
