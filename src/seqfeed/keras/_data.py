"""Keras adapters: a `PyDataset` and a `tf.data.Dataset` over padded batches."""

from __future__ import annotations

import numpy as np

from ._lazy import keras, tf


def batch_to_keras(batch, *, with_targets: bool = True):
    """``(inputs, y[, sample_weight])`` for Keras from a :class:`seqfeed.Batch`."""
    inputs = {"x": batch.x, "mask": batch.mask}
    if not with_targets or batch.y is None:
        return (inputs,)
    if batch.sample_weight is not None:
        return inputs, batch.y, batch.sample_weight
    return inputs, batch.y


def _check_nonempty(batch, op):
    from .._errors import DataError

    if batch.lengths.size and batch.lengths.min() == 0:
        empty = batch.lengths == 0
        if batch.index is not None:
            empty &= batch.index >= 0  # index -1: a filler row of a fixed-shape batch (weight 0)
        if not empty.any():
            return
        k = int(np.argmax(empty))
        i = int(batch.index[k]) if batch.index is not None else k
        raise DataError(f"{op}: sequence {i} is empty (a fully masked row); its output would be "
                        f"meaningless.", argument="data", index=i,
                        fix="drop empty sequences before training or predicting")


class KerasDataset(keras.utils.PyDataset):
    """A Keras ``PyDataset`` over a :class:`seqfeed.batching.BatchLoader`.

    Yields ``({"x": x, "mask": mask}, y[, sample_weight])``; batches may have a
    different ``time_steps`` each. Keras fixes its input signature from the
    first two batches, so when those two happen to share ``time_steps`` the
    dataset serves, as its second batch, the first later batch whose
    ``time_steps`` differs (a fixed, seeded reordering): the signature then has
    a free time axis and ``fit`` never retraces per batch.
    """

    def __init__(self, loader, *, with_targets: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.loader = loader
        self.with_targets = with_targets
        self._order = None

    def _plan(self):
        if self._order is None or self._order[0] != self.loader.sampler.epoch:
            plan = self.loader.sampler.batches()
            order = list(range(len(plan)))
            T = [int(self.loader.seqs.lengths[b].max()) if b.size else 0 for b in plan]
            if len(plan) > 2 and T[0] == T[1]:
                k = next((k for k in range(2, len(plan)) if T[k] != T[0]), None)
                if k is not None:
                    order[1], order[k] = order[k], order[1]
            self._order = (self.loader.sampler.epoch, plan, order)
        return self._order

    def __len__(self):
        return len(self._plan()[1])

    def __getitem__(self, i):
        _, plan, order = self._plan()
        batch = self.loader.batch(plan[order[i]])
        _check_nonempty(batch, "KerasDataset")
        return batch_to_keras(batch, with_targets=self.with_targets)

    def on_epoch_end(self):
        self.loader.sampler.set_epoch(self.loader.sampler.epoch + 1)


def to_tf_dataset(loader, *, with_targets: bool = True):
    """A ``tf.data.Dataset`` of padded batches with a free batch and time axis.

    Each pass over the dataset is one epoch of the loader's sampler (the epoch
    advances when a pass starts over). The element signature is declared with
    ``None`` batch and time dimensions, so Keras traces its train step once.
    """
    seqs = loader.seqs
    F = seqs.n_features
    spec_in = {"x": tf.TensorSpec((None, None, F), tf.as_dtype(loader.dtype)),
               "mask": tf.TensorSpec((None, None), tf.bool)}
    sig = (spec_in,)
    if with_targets and (seqs.targets is not None or seqs.step_targets is not None):
        first = loader.batch(loader.sampler.batches()[0])
        y = first.y
        per_step = seqs.targets is None
        y_shape = (None, None) + tuple(y.shape[2:]) if per_step else (None,) + tuple(y.shape[1:])
        sig = (spec_in, tf.TensorSpec(y_shape, tf.as_dtype(y.dtype)))
        if first.sample_weight is not None:
            sig = sig + (tf.TensorSpec((None,) * first.sample_weight.ndim, tf.float32),)

    def gen():
        # the sampler continues its current epoch (from `position`, for resumed runs) and
        # moves to the next epoch when this pass ends
        for batch in loader:
            _check_nonempty(batch, "to_tf_dataset")
            yield batch_to_keras(batch, with_targets=len(sig) > 1)

    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    # the number of batches per epoch is known: tell Keras, so epochs end cleanly
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(loader.sampler)))
    return ds.prefetch(1)
