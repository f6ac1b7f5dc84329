"""Keras adapters for a :class:`~seqfeed.ShardDataset`: a ``tf.data.Dataset`` and a ``PyDataset``."""

from __future__ import annotations

from ._data import _check_nonempty, batch_to_keras
from ._lazy import keras, tf


def _signature(ds, with_targets: bool):
    """The element signature (free batch and time axes), from the dataset's first batch."""
    first = ds._template
    if first is None:
        state = ds.state_dict()
        first = next(iter(ds))  # planning + one window; the position is restored below
        ds.load_state_dict(state)
    F = ds.n_features
    spec_in = {"x": tf.TensorSpec((None, None, F), tf.as_dtype(first.x.dtype)),
               "mask": tf.TensorSpec((None, None), tf.bool)}
    if not with_targets or first.y is None:
        return (spec_in,)
    per_step = first.sample_weight is not None and first.sample_weight.ndim == 2
    y = first.y
    y_shape = ((None, None) + tuple(y.shape[2:])) if per_step else ((None,) + tuple(y.shape[1:]))
    sig = (spec_in, tf.TensorSpec(y_shape, tf.as_dtype(y.dtype)))
    if first.sample_weight is not None:
        sig = sig + (tf.TensorSpec((None,) * first.sample_weight.ndim, tf.float32),)
    return sig


def shard_tf_dataset(ds, *, with_targets: bool = True, repeat: bool = False):
    """A ``tf.data.Dataset`` over a :class:`~seqfeed.ShardDataset`.

    ``repeat=False``: each pass serves one epoch, the dataset's current one (from its
    position, for a resumed run), and leaves the dataset where it was; the
    cardinality is the number of batches per epoch. Good for evaluation.

    ``repeat=True`` (training): one endless pass, epoch after epoch, from the
    dataset's epoch and position; give Keras ``steps_per_epoch=len(ds)``. Keras keeps
    one iterator for the whole ``fit``, so the epoch and position advance with the
    batches handed over (a few batches ahead of training, by the prefetch). If
    Keras opens a pass and drops it (multi-worker ``fit`` does, prefetching a few
    batches), the latest pass is the one that counts: earlier ones change nothing.

    Auto-sharding is off: each worker already reads its own shards.
    """
    sig = _signature(ds, with_targets)
    passes = {"latest": 0}

    def gen():
        passes["latest"] += 1
        me = passes["latest"]
        epoch, start = ds.epoch, ds.position
        if start and start >= len(ds):
            epoch, start = epoch + 1, 0
        while True:
            served = []
            pos = start
            for batch in ds._epoch(epoch, start):
                if batch.index is None or batch.index.size == 0 or batch.index[0] >= 0:
                    _check_nonempty(batch, "ShardDataset")
                pos += 1
                if repeat and passes["latest"] == me:
                    ds.epoch, ds.position = epoch, pos
                    served.append(batch.index)
                    on_pass = getattr(ds, "on_pass_end", None)
                    if pos == len(ds) and on_pass is not None:  # e.g. a log of what each worker used
                        on_pass(epoch, served)
                yield batch_to_keras(batch, with_targets=len(sig) > 1)
            if not repeat:
                return
            epoch, start = epoch + 1, 0

    out = tf.data.Dataset.from_generator(gen, output_signature=sig)
    card = tf.data.INFINITE_CARDINALITY if repeat else len(ds)
    out = out.apply(tf.data.experimental.assert_cardinality(card))
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return out.with_options(options).prefetch(1)


class ShardPyDataset(keras.utils.PyDataset):
    """A Keras ``PyDataset`` over a :class:`~seqfeed.ShardDataset`.

    Batches are read in order as Keras asks for ``0, 1, 2, ...``; asking for another
    index restarts the epoch's plan at that batch (correct, but it re-reads a
    window). ``on_epoch_end`` moves to the next epoch. Use ``fit(..., shuffle=False)``
    (the dataset shuffles itself) and no Keras worker threads.
    """

    def __init__(self, ds, *, with_targets: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.ds = ds
        self.with_targets = with_targets
        self._it = None
        self._next = None

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        if i < 0 or i >= len(self.ds):
            raise IndexError(i)
        if self._it is None or self._next != i:
            self.ds.position = i
            self._it = self.ds._epoch(self.ds.epoch, i)
        batch = next(self._it)
        self._next = i + 1
        self.ds.position = i + 1
        return batch_to_keras(batch, with_targets=self.with_targets)

    def on_epoch_end(self):
        self.ds.set_epoch(self.ds.epoch + 1)
        self._it = None
