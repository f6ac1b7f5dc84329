"""Training a :class:`SequenceModel` on sequence shards, streamed (no full read into memory)."""

from __future__ import annotations

import os

import numpy as np

from .._errors import ConfigError, DataError
from ..batching import ShardDataset
from ..core import SequenceSet


def is_shards_input(data) -> bool:
    """A ShardDataset, or the path of a shards directory."""
    if isinstance(data, ShardDataset):
        return True
    if isinstance(data, (str, os.PathLike)):
        from ..sources._shards import is_shards

        return is_shards(data)
    return False


def _target_column(ds: ShardDataset, op: str):
    """Every target of the dataset's split (one column, read file by file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..sources._shards import column_to_numpy

    level = (ds.manifest.get("target") or {}).get("level")
    if level is None:
        raise DataError(f"{op}: the shards hold no target.", argument="train",
                        fix="pack the shards with --target COLUMN")
    name = "target" if level == "sequence" else "targets"
    parts = []
    for f in range(len(ds.files)):
        col = pq.read_table(ds._file_path(f), columns=[name], memory_map=True).column(name)
        if level == "step":
            col = pa.chunked_array([c.flatten() for c in col.chunks], type=col.type.value_type)
        parts.append(np.unique(column_to_numpy(col)) if level == "step" else column_to_numpy(col))
    return level, np.concatenate(parts) if parts else np.zeros(0)


def shards_summary(train, task: str, op: str = "SequenceModel.for_data") -> SequenceSet:
    """A tiny stand-in set with the shards' features, names and every class (or a target's shape).

    What :meth:`SequenceModel.for_data` needs to shape a model, without reading the values.
    """
    ds = train if isinstance(train, ShardDataset) else ShardDataset(train, split="train", batch_size=1)
    level, t = _target_column(ds, op)
    F = ds.n_features
    if level == "step":
        classes = np.unique(t)
        return SequenceSet(np.zeros((classes.size, F), np.float32), np.arange(classes.size + 1),
                           step_targets=classes, feature_names=ds.feature_names)
    sample = np.unique(t) if task == "classify" else t[:1]
    return SequenceSet(np.zeros((sample.shape[0], F), np.float32), np.arange(sample.shape[0] + 1),
                       targets=sample, feature_names=ds.feature_names)


def shard_dataset(sm, data, *, split: str = "train", batch_size: int = 32, max_tokens: int | None = None,
                  seed: int = 0, shuffle: bool = True, op: str = "SequenceModel.fit",
                  manifest_scaler: bool = False) -> ShardDataset:
    """A ShardDataset that serves ``data`` prepared for ``sm`` (scaled, targets encoded).

    ``manifest_scaler``: a model without a scaler takes the one of the shards' manifest.
    The model's scaler is handed to the dataset, which scales each window it reads in place
    (one array of values per window, not a scaled copy beside it) where the rows reach the
    model with its features in its order; otherwise ``sm.prepare`` scales a copy.
    """
    if isinstance(data, ShardDataset):
        if data.transform is not None or data.scaler is not None:
            raise ConfigError(f"{op}: the ShardDataset already scales or transforms its rows; the model "
                              f"prepares them itself.", argument="train",
                              fix="build the ShardDataset without scaler= and transform=")
        ds = data
    else:
        ds = ShardDataset(data, split=split, batch_size=None if max_tokens else batch_size,
                          max_tokens=max_tokens, seed=seed, shuffle=shuffle)
    if manifest_scaler and sm.scaler is None:
        sm.scaler = ds.manifest_scaler()
    names = list(sm.feature_names or [])
    in_place = sm.scaler is not None and ds.n_features == sm.n_features \
        and (not names or names == list(ds.feature_names))

    def prepare(seqs):
        return sm.prepare(seqs, _op=op, _scaled=in_place)

    ds.scaler = sm.scaler if in_place else None
    ds.transform = prepare
    return ds


def fit_shards(sm, train, *, validation=None, epochs: int, batch_size: int, max_tokens, seed: int, callbacks,
               verbose, initial_epoch: int):
    """``SequenceModel.fit`` on shards: the scaler comes from the manifest's moments when the model
    has none; the shards stream through a bounded shuffle window."""
    op = "SequenceModel.fit"
    ds = shard_dataset(sm, train, batch_size=batch_size, max_tokens=max_tokens, seed=seed, op=op,
                       manifest_scaler=True)
    sm.model.jit_compile = False  # batches are padded per batch: XLA would compile every new shape
    from ._fused import fuse_lstm_loops

    fuse_lstm_loops(sm.model)  # LSTM layers on the fused CPU kernel (seqfeed.keras._fused)
    from ._stream_data import shard_tf_dataset

    ds.set_epoch(initial_epoch)
    val = None
    if validation is not None:
        if is_shards_input(validation):
            val = shard_dataset(sm, validation, split="validation" if not isinstance(validation, ShardDataset)
                                else validation.split, batch_size=max(batch_size, 64), shuffle=False, op=op)
            val = shard_tf_dataset(val)
        else:
            from ._data import to_tf_dataset

            va = sm.prepare(validation, _op=op)
            val = to_tf_dataset(sm.loader(va, batching="bucket", batch_size=max(batch_size, 64), shuffle=False))
    return sm.model.fit(shard_tf_dataset(ds, repeat=True), steps_per_epoch=len(ds), validation_data=val,
                        epochs=epochs, verbose=verbose, callbacks=list(callbacks), shuffle=False,
                        initial_epoch=initial_epoch)


def evaluate_shards(sm, shards, *, split: str = "test", batch_size: int = 256) -> dict:
    """Metrics of ``sm`` on one split of sequence shards, streamed batch by batch.

    classify/tag: ``accuracy``, ``macro_f1``; regress: ``mae``, ``rmse``; and ``n``.
    """
    from .. import metrics as M

    op = "evaluate_shards"
    ds = shard_dataset(sm, shards, split=split, batch_size=batch_size, shuffle=False, op=op) \
        if not isinstance(shards, ShardDataset) else shard_dataset(sm, shards, op=op)
    ys, ps = [], []
    for batch in ds:
        if batch.index.size == 1 and batch.index[0] < 0:
            continue  # filler
        out = np.asarray(sm._infer(batch.x, batch.mask))
        if sm.task == "tag":
            ys.append(batch.y[batch.mask])
            ps.append(np.argmax(out, axis=-1)[batch.mask])
        elif sm.task == "classify":
            ys.append(batch.y)
            ps.append(np.argmax(out, axis=-1))
        else:
            ys.append(np.asarray(batch.y, dtype=np.float64).reshape(out.shape[0], -1))
            ps.append(out.reshape(out.shape[0], -1))
    if not ys:
        raise DataError(f"{op}: the {split!r} split holds no sequence.", argument="split", received=split,
                        fix="pack the shards with sequences in that split, or train on another split")
    y, p = np.concatenate(ys), np.concatenate(ps)
    if sm.task in ("classify", "tag"):
        return {"n": int(y.shape[0]), "accuracy": M.accuracy(y, p), "macro_f1": M.macro_f1(y, p, sm.classes.size)}
    return {"n": int(y.shape[0]), "mae": M.mae(y, p), "rmse": M.rmse(y, p)}
