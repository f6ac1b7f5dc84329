"""`SequenceModel`: a masked Keras model plus what it needs to be used on new data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .. import metrics as M
from .._fs import atomic_dir, is_seqfeed_dir, recover_dir
from .._errors import ConfigError, DataError, ShapeError, check_choice, check_int
from ..batching import AdaptiveSampler, BatchLoader, BucketSampler, FixedSampler, TokenBudgetSampler
from ..core import Batch, SequenceSet, as_sequence_set
from ..transforms import Restructure
from ._builders import TASKS, build_lstm, compile_for_task, pre_blocks_for_stride
from ._data import _check_nonempty, batch_to_keras, to_tf_dataset
from ._lazy import keras

FORMAT_VERSION = 1
BATCHING = ("bucket", "adaptive", "token_budget", "fixed")


class SequenceModel:
    """A masked recurrent Keras model with its task, classes, features and scaler.

    ``fit``/``predict``/``evaluate`` take a :class:`SequenceSet` (or anything
    :func:`seqfeed.as_sequence_set` reads, or a padded :class:`Batch`): seqfeed
    scales, batches (length-bucketed by default), pads per batch and masks.
    ``save`` writes the Keras model and a JSON file with everything else, so
    :meth:`load` in a fresh process predicts exactly the same.

    Attributes:
        model: the underlying ``keras.Model`` (inputs ``x`` and ``mask``).
        task: ``"classify"``, ``"regress"``, ``"tag"`` or ``"forecast"``.
        classes: class labels (classify/tag); outputs index this array.
        info: free-form JSON-able metadata saved with the model (e.g. the CLI's
            restructuring choice).
    """

    def __init__(self, model, *, task: str, n_features: int, classes=None, feature_names=None,
                 padding: str = "post", scaler=None, horizon: int = 1, info: dict | None = None,
                 restructure: Restructure | str | None = None):
        check_choice("SequenceModel", "task", task, TASKS)
        check_choice("SequenceModel", "padding", padding, ("pre", "post"))
        self.model = model
        self.task = task
        self.n_features = int(n_features)
        self.classes = None if classes is None else np.asarray(classes)
        self.feature_names = None if feature_names is None else list(feature_names)
        self.padding = padding
        self.scaler = scaler
        self.horizon = int(horizon)
        self.info = dict(info or {})
        self.restructure = Restructure.coerce(restructure)
        compiled = self.info.get("compilation") or {}
        if not compiled or compiled.get("fused"):
            # eligible LSTM layers run on the fused CPU kernel (seqfeed.keras._fused), as fit runs them
            # by default: a saved and reloaded or resumed model predicts as the trained one, bit for bit
            from ._fused import fuse_lstm_loops

            fuse_lstm_loops(model, parts=compiled.get("parts"))

    # ------------------------------------------------------------------ construction
    @classmethod
    def for_data(cls, data, task: str, *, units: int = 64, layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, cell: str = "lstm", conv_filters: int = 0, conv_kernel: int = 3,
                 conv_stride: int = 1, dense_units: int = 0, pooling: str = "last", padding: str = "post",
                 scaler=None,
                 learning_rate: float = 1e-3, seed: int = 0, info: dict | None = None,
                 restructure: Restructure | str | None = None, change_of: int | None = None,
                 name: str | None = None) -> "SequenceModel":
        """Build and compile a model shaped for the training data ``data`` (features, classes, horizon).

        ``data`` is a :class:`SequenceSet` (or anything :func:`seqfeed.as_sequence_set`
        accepts, or a shards directory); ``task`` is one of ``"classify"``, ``"regress"``,
        ``"tag"``, ``"forecast"``.

        ``restructure`` (a :class:`seqfeed.transforms.Restructure` or its text form,
        e.g. ``"frame:8"``) is applied to every input after scaling; ``"conv:S"`` /
        ``"msconv:S"`` add a strided Conv1D front-end to the model instead.

        ``change_of`` (forecasting one target): the index of the input feature the forecast
        continues; the model then forecasts the change from its last observed value (see
        :func:`seqfeed.keras.build_lstm`).
        """
        check_choice("SequenceModel.for_data", "task", task, TASKS)
        from ._shards_fit import is_shards_input, shards_summary

        if is_shards_input(data):  # shards: features, names and classes, without reading the values
            data = shards_summary(data, task)
        train = as_sequence_set(data, _op="SequenceModel.for_data")
        classes, n_out, horizon = None, 1, 1
        if task in ("classify", "regress", "forecast") and train.targets is None:
            raise DataError(f"SequenceModel.for_data: task={task!r} needs per-sequence targets; the "
                            f"training set has none.", argument="data",
                            fix="build the set with targets=... (or --target in the CLI)")
        if task == "tag" and train.step_targets is None:
            raise DataError("SequenceModel.for_data: task='tag' needs per-step targets (step_targets).",
                            argument="data", received="no step_targets",
                            fix="build the set with step_targets=... (or read the table with level='step')")
        if task == "classify":
            classes = np.unique(train.targets)
            n_out = int(classes.size)
        elif task == "tag":
            classes = np.unique(train.step_targets)
            n_out = int(classes.size)
        elif task == "regress":
            t = np.asarray(train.targets)
            n_out = 1 if t.ndim == 1 else int(np.prod(t.shape[1:]))
        else:
            t = np.asarray(train.targets)
            horizon = 1 if t.ndim == 1 else int(t.shape[1])
            n_out = 1 if t.ndim <= 2 else int(t.shape[2])
        check_choice("SequenceModel.for_data", "padding", padding, ("pre", "post"))
        restructure = Restructure.coerce(restructure)
        if padding == "pre" and (conv_filters or restructure.in_model):
            # the strided Conv1D front-ends derive their mask from lengths counted from the left
            raise ConfigError("SequenceModel.for_data: the Conv1D front-end (conv_filters > 0, restructure "
                              "kind 'conv' or 'msconv') needs padding='post'. Received: padding='pre'.",
                              argument="padding", received=padding,
                              fix="pass padding='post' (the default), or a restructuring other than 'conv' "
                                  "and 'msconv'")
        if change_of is not None and not (restructure.kind == "none" or restructure.in_model):
            # framed, pooled or summarised steps no longer hold the last observed value as one feature
            raise ConfigError(f"SequenceModel.for_data: change_of= forecasts the change from the last observed "
                              f"value, which needs the raw steps; restructure={str(restructure)!r} replaces them.",
                              argument="change_of", received=change_of,
                              fix="pass change_of=None, or restructure='none', 'conv:K' or 'msconv:K'")
        msconv_filters, msconv_stride, extra = 0, 1, {}
        if restructure.kind == "conv":
            conv_filters = conv_filters or max(32, units // 2)
            conv_stride = restructure.size
            conv_kernel = max(conv_kernel, 2 * conv_stride - 1)
        elif restructure.kind == "msconv":
            msconv_filters, msconv_stride = max(16, units // 2), restructure.size
            # a full-rate block up to stride 8, and the front-end's pooled features beside the recurrent
            # summary (see pre_blocks_for_stride; OSULeaf 0.79 -> 0.84, Tecator RMSE 2.23 -> 0.66)
            extra = dict(msconv_pre_blocks=pre_blocks_for_stride(msconv_stride), msconv_pool=task != "tag")
        n_model = restructure.n_features(train.n_features)
        model = build_lstm(task, n_features=n_model, n_outputs=n_out, horizon=horizon,
                           units=units, layers=layers, bidirectional=bidirectional, dropout=dropout,
                           cell=cell, conv_filters=conv_filters, conv_kernel=conv_kernel,
                           conv_stride=conv_stride, msconv_filters=msconv_filters, msconv_stride=msconv_stride,
                           dense_units=dense_units, pooling=pooling, change_of=change_of, seed=seed,
                           name=name, **extra)
        compile_for_task(model, task, learning_rate=learning_rate)
        return cls(model, task=task, n_features=train.n_features, classes=classes,
                   feature_names=train.feature_names, padding=padding, scaler=scaler,
                   horizon=horizon, info=info, restructure=restructure)

    # ------------------------------------------------------------------ data preparation
    def prepare(self, data, *, with_targets: bool = True, _op: str = "SequenceModel",
                _scaled: bool = False) -> SequenceSet:
        """Scale features and encode targets of ``data`` the way this model expects.

        ``_op`` is private: the name of the calling operation, used in error messages.
        ``_scaled`` is private: the values were already scaled with this model's scaler (a
        streaming window scaled in place by its reader).
        """
        op = _op
        seqs = self._match_features(as_sequence_set(data, _op=op), op)
        if seqs.n_features != self.n_features:
            raise ShapeError(f"{op}: the data has {seqs.n_features} features per step; this model was "
                             f"trained on {self.n_features}"
                             + (f" ({', '.join(self.feature_names)})" if self.feature_names else "") + ".",
                             argument="data", received=seqs.n_features,
                             fix="pass the same feature columns, in the same order, as in training")
        if self.scaler is not None and not _scaled:
            seqs = self.scaler.transform(seqs)
        if self.restructure.kind != "none" and not self.restructure.in_model:
            if self.task == "tag":
                raise ConfigError(f"{op}: restructuring changes the number of steps; task='tag' "
                                  f"labels every raw step.", argument="restructure",
                                  received=str(self.restructure),
                                  fix="build the model with restructure='none', 'conv:K' or 'msconv:K' for tagging")
            seqs = self.restructure.apply(seqs)
        targets, step_targets = seqs.targets, seqs.step_targets
        if with_targets and self.task == "classify" and targets is not None:
            targets = self.encode_labels(targets, op)
        elif with_targets and self.task == "tag" and step_targets is not None:
            step_targets = self.encode_labels(step_targets, op)
        elif with_targets and targets is not None:
            targets = np.asarray(targets, dtype=np.float32)
            if self.task == "forecast" and targets.ndim == 1:
                targets = targets[:, None, None]
            elif self.task == "forecast" and targets.ndim == 2:
                targets = targets[:, :, None]
        if not with_targets:
            targets = step_targets = None
        return SequenceSet(seqs.values, seqs.offsets, targets=targets, step_targets=step_targets,
                           ids=seqs.ids, feature_names=seqs.feature_names)

    def _match_features(self, seqs: SequenceSet, op: str) -> SequenceSet:
        """Put the data's features in the model's order, by name, when both carry names.

        Data without feature names is taken in its column order. Named data must hold every
        feature the model was trained on; a missing or renamed one is a ShapeError naming it.
        """
        return seqs.select_features(self.feature_names or [], _op=op)

    def encode_labels(self, labels, op: str = "SequenceModel.encode_labels") -> np.ndarray:
        """Class labels -> int32 positions in ``classes`` (classification and tagging models).

        A label not seen in training is a DataError naming it and its position; ``op`` names the
        operation in that message.
        """
        labels = np.asarray(labels)
        pos = np.searchsorted(self.classes, labels)
        pos_c = np.minimum(pos, self.classes.size - 1)
        bad = self.classes[pos_c] != labels
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{op}: label {labels[i].item()!r} (at {i}) was not seen in training; known classes: "
                            f"{', '.join(map(str, self.classes[:20]))}.", argument="targets", index=i,
                            fix="evaluate on labels the model was trained on, or retrain with every class")
        return pos_c.astype(np.int32)

    def loader(self, data: SequenceSet, *, batching: str = "bucket", batch_size: int = 32,
               max_tokens: int | None = None, shuffle: bool = True, seed: int = 0,
               crop: float | None = None, balance: bool = False) -> BatchLoader:
        """A :class:`BatchLoader` over ``data`` (already :meth:`prepare`-d) with one of the samplers
        ``batching`` names (``"bucket"``, ``"adaptive"``, ``"token_budget"``, ``"fixed"``)."""
        check_choice("SequenceModel", "batching", batching, BATCHING)
        if batching == "bucket":
            sampler = BucketSampler(data.lengths, batch_size=batch_size, seed=seed, shuffle=shuffle)
        elif batching == "adaptive":
            sampler = AdaptiveSampler(data.lengths, max_batch_size=batch_size, seed=seed, shuffle=shuffle)
        elif batching == "token_budget":
            budget = max_tokens or batch_size * int(np.percentile(data.lengths, 90) if len(data) else 1)
            sampler = TokenBudgetSampler(data.lengths, max_tokens=budget, max_batch_size=4 * batch_size,
                                         seed=seed, shuffle=shuffle)
        else:
            sampler = FixedSampler(data.lengths, batch_size=batch_size, seed=seed, shuffle=shuffle)
        return BatchLoader(data, sampler, padding=self.padding, crop=crop, balance=balance)

    # ------------------------------------------------------------------ training
    def fit(self, train, *, validation=None, epochs: int = 10, batch_size: int = 32,
            batching: str = "bucket", max_tokens: int | None = None, seed: int = 0, callbacks=(),
            verbose="auto", initial_epoch: int = 0, crop: float | None = None, jit_compile="auto",
            fused="auto"):
        """Train on ``train`` (SequenceSet, raw sequences with targets, one Batch, or sequence shards).

        ``jit_compile``: ``"auto"`` (default) compiles the train step with XLA, on
        batches of a few fixed shapes (:class:`~seqfeed.ShapeBucketSampler`), when the
        estimated compilation cost is repaid by faster steps over these epochs; True
        forces that, False keeps per-batch padding without XLA. The decision and its
        estimate are in ``self.info["compilation"]``.

        ``fused``: ``"auto"`` (default) runs the model's LSTM layers on TensorFlow's fused CPU
        kernel (the whole sequence in one op, the batch's rows split across the cores, the
        same result as Keras' loop to float rounding) whenever they qualify and XLA is not
        forced (``jit_compile=True``); then there is no XLA. True requires it, False keeps
        Keras' loop.

        Shards (a shards directory or a :class:`~seqfeed.ShardDataset`) are streamed through a
        bounded shuffle window, never read whole; a model without a scaler is given the one of
        the manifest's moments.

        Returns the Keras ``History``.
        """
        epochs = check_int("SequenceModel.fit", "epochs", epochs, minimum=1)
        batch_size = check_int("SequenceModel.fit", "batch_size", batch_size, minimum=1)
        keras.utils.set_random_seed(seed)
        from ._shards_fit import fit_shards, is_shards_input

        if is_shards_input(train):  # a shards directory or a ShardDataset: streamed
            return fit_shards(self, train, validation=validation, epochs=epochs, batch_size=batch_size,
                              max_tokens=max_tokens, seed=seed, callbacks=callbacks, verbose=verbose,
                              initial_epoch=initial_epoch)
        if isinstance(train, Batch):
            _check_nonempty(train, "SequenceModel.fit")
            if train.y is None:
                raise DataError("SequenceModel.fit: the Batch has no targets (y is None).", argument="train",
                                fix="build the batch with targets, e.g. seqfeed.pad(seqs, y=...)")
            val = None
            if isinstance(validation, Batch):
                _check_nonempty(validation, "SequenceModel.fit")
                if validation.y is None:
                    raise DataError("SequenceModel.fit: the validation Batch has no targets (y is None).",
                                    argument="validation", fix="pass a validation batch with targets")
                val = batch_to_keras(validation)
            elif validation is not None:
                va = self.prepare(validation, _op="SequenceModel.fit")
                val = to_tf_dataset(self.loader(va, batching="bucket", batch_size=max(batch_size, 64),
                                                shuffle=False))
            return self.model.fit(*batch_to_keras(train), validation_data=val, epochs=epochs, verbose=verbose,
                                  callbacks=list(callbacks), shuffle=False, initial_epoch=initial_epoch)
        tr = self.prepare(train, _op="SequenceModel.fit")
        if crop is not None and self.task not in ("classify", "regress"):
            raise ConfigError("SequenceModel.fit: `crop` is for sequence-level tasks (classify, regress).",
                              argument="crop", received=crop, fix="leave out crop for this task")
        loader = self.loader(tr, batching=batching, batch_size=batch_size, max_tokens=max_tokens, seed=seed,
                             crop=crop)
        va = None
        if validation is not None and not isinstance(validation, Batch):
            va = self.prepare(validation, _op="SequenceModel.fit")
        from ._xla import choose_compilation  # XLA on a few fixed batch shapes when it pays off

        # decided on the run's full epoch count, so that a resumed run (initial_epoch > 0) makes the same
        # choice and sees the same batches as the uninterrupted run
        loader, val_loader = choose_compilation(self, tr, loader, va, jit_compile=jit_compile,
                                                epochs=epochs, batch_size=batch_size, seed=seed, crop=crop,
                                                fused=fused)
        loader.sampler.set_epoch(initial_epoch)  # a resumed run sees the batches it would have seen
        ds = to_tf_dataset(loader)
        val = None
        if isinstance(validation, Batch):
            _check_nonempty(validation, "SequenceModel.fit")
            val = batch_to_keras(validation)
        elif va is not None:
            val = to_tf_dataset(val_loader(va))
        return self.model.fit(ds, validation_data=val, epochs=epochs, verbose=verbose,
                              callbacks=list(callbacks), shuffle=False, initial_epoch=initial_epoch)

    # ------------------------------------------------------------------ inference
    def predict_raw(self, data, *, batch_size: int = 256):
        """Model outputs in input order: ``(n, C)`` / ``(n, k)`` / ``(n, horizon, k)``, or for
        ``tag`` a list of ``(T_i, C)`` arrays."""
        if isinstance(data, Batch):
            _check_nonempty(data, "SequenceModel.predict")
            out = np.asarray(self._infer(data.x, data.mask))
            if self.task == "tag":
                return [o[m] for o, m in zip(out, data.mask)]
            return out
        seqs = self.prepare(data, with_targets=False, _op="SequenceModel.predict")
        if not len(seqs):
            raise DataError("SequenceModel.predict: no sequences to predict.", argument="data", received=0,
                            fix="pass at least one sequence")
        loader = self.loader(seqs, batching="bucket", batch_size=batch_size, shuffle=False)
        results: list = [None] * len(seqs)
        for batch in loader:
            _check_nonempty(batch, "SequenceModel.predict")
            out = np.asarray(self._infer(batch.x, batch.mask))
            for k, i in enumerate(batch.index.tolist()):
                results[i] = out[k][batch.mask[k]] if self.task == "tag" else out[k]
        if self.task == "tag":
            return results
        return np.stack(results)

    def _infer(self, x, mask):
        """The model on one padded batch, through a function traced once for any (B, T)."""
        fn = getattr(self, "_infer_fn", None)
        if fn is None or fn[0] is not self.model:
            from ._lazy import tf

            model = self.model
            spec = {"x": tf.TensorSpec((None, None, x.shape[2]), tf.float32),
                    "mask": tf.TensorSpec((None, None), tf.bool)}
            fn = (model, tf.function(lambda inputs: model(inputs, training=False), input_signature=[spec],
                                     reduce_retracing=True))
            self._infer_fn = fn
        return fn[1]({"x": x, "mask": mask})

    def predict(self, data, *, batch_size: int = 256):
        """Predictions in input order: class labels (classify/tag: list per sequence), values
        (regress: ``(n,)`` or ``(n, k)``), forecasts (``(n, horizon)`` or ``(n, horizon, k)``)."""
        raw = self.predict_raw(data, batch_size=batch_size)
        if self.task == "classify":
            return self.classes[np.argmax(raw, axis=-1)]
        if self.task == "tag":
            return [self.classes[np.argmax(r, axis=-1)] for r in raw]
        if self.task == "regress":
            return raw[:, 0] if raw.shape[1] == 1 else raw
        return raw[..., 0] if raw.shape[-1] == 1 else raw

    def evaluate(self, data, *, batch_size: int = 256) -> dict:
        """Metrics on labelled data: accuracy and macro-F1 (classify, tag; classify also the mean
        log loss of the predicted probabilities); MAE and RMSE otherwise.

        ``data`` may also be one padded :class:`Batch` with targets ``y`` (class labels or
        their codes ``0..C-1`` for classify/tag, per-step ones padded to ``(B, T)``).
        """
        if isinstance(data, Batch):
            return self._evaluate_batch(data)
        seqs = as_sequence_set(data, _op="SequenceModel.evaluate")
        if self.task == "classify":
            raw = np.asarray(self.predict_raw(seqs, batch_size=batch_size), dtype=np.float64)
            y = self.encode_labels(seqs.targets, "SequenceModel.evaluate")
            p = np.argmax(raw, axis=-1)
            return {"n": int(y.size), "accuracy": M.accuracy(y, p),
                    "macro_f1": M.macro_f1(y, p, self.classes.size), "log_loss": M.log_loss(y, raw)}
        pred = self.predict(seqs, batch_size=batch_size)
        if self.task == "tag":
            y = self.encode_labels(seqs.step_targets, "SequenceModel.evaluate")
            p = self.encode_labels(np.concatenate(pred), "SequenceModel.evaluate")
            return {"n": int(y.size), "accuracy": M.accuracy(y, p),
                    "macro_f1": M.macro_f1(y, p, self.classes.size)}
        y = np.asarray(seqs.targets, dtype=np.float64).reshape(np.asarray(pred).shape)
        return {"n": int(len(seqs)), "mae": M.mae(y, pred), "rmse": M.rmse(y, pred)}

    def _codes(self, y, op):
        """Class labels -> codes; integer codes ``0..C-1`` (what fit(Batch) takes) pass through."""
        y = np.asarray(y)
        try:
            return self.encode_labels(y, op)
        except DataError:
            if y.dtype.kind in "iu" and y.size and y.min() >= 0 and y.max() < self.classes.size:
                return y.astype(np.int32)
            raise

    def _evaluate_batch(self, batch: Batch) -> dict:
        op = "SequenceModel.evaluate"
        if batch.y is None:
            raise DataError(f"{op}: the Batch has no targets (y is None).", argument="data",
                            fix="build the batch with targets, or pass a SequenceSet with targets")
        raw = self.predict_raw(batch)
        if self.task == "classify":
            raw = np.asarray(raw, dtype=np.float64)
            y = self._codes(np.asarray(batch.y).reshape(-1), op)
            p = np.argmax(raw, axis=-1)
            return {"n": int(y.size), "accuracy": M.accuracy(y, p),
                    "macro_f1": M.macro_f1(y, p, self.classes.size), "log_loss": M.log_loss(y, raw)}
        if self.task == "tag":
            y = self._codes(np.asarray(batch.y)[batch.mask], op)
            p = np.argmax(np.concatenate(raw), axis=-1)
            return {"n": int(y.size), "accuracy": M.accuracy(y, p),
                    "macro_f1": M.macro_f1(y, p, self.classes.size)}
        pred = np.asarray(raw, dtype=np.float64)
        y = np.asarray(batch.y, dtype=np.float64).reshape(pred.shape)
        return {"n": int(batch.batch_size), "mae": M.mae(y, pred), "rmse": M.rmse(y, pred)}

    # ------------------------------------------------------------------ persistence
    def metadata(self) -> dict:
        return {
            "format": FORMAT_VERSION, "task": self.task, "n_features": self.n_features,
            "classes": None if self.classes is None else self.classes.tolist(),
            "classes_dtype": None if self.classes is None else self.classes.dtype.str,
            "feature_names": self.feature_names, "padding": self.padding, "horizon": self.horizon,
            "scaler": None if self.scaler is None else self.scaler.to_dict(), "info": self.info,
            "restructure": str(self.restructure),
        }

    def save(self, path) -> Path:
        """Write ``path/`` = ``model.keras`` + ``seqfeed.json``, atomically (all or nothing).

        An existing seqfeed model directory (or an empty directory) at ``path`` is
        replaced once the new one is complete; anything else there (a file, a link,
        a directory seqfeed did not write) is an error and is left alone.
        """
        path = Path(path)
        if os.path.lexists(path) and not is_seqfeed_dir(path) and \
                (path.is_symlink() or not path.is_dir() or any(path.iterdir())):
            raise ConfigError(f"SequenceModel.save: {path} exists and is not a seqfeed model directory; it is "
                              f"left alone.", argument="path", received=str(path),
                              fix="save to a new path, or to a directory written by save()")
        with atomic_dir(path) as tmp:
            self.model.save(tmp / "model.keras")
            (tmp / "seqfeed.json").write_text(json.dumps(self.metadata(), indent=2, default=_json))
        return path

    @classmethod
    def load(cls, path) -> "SequenceModel":
        """Load a model written by :meth:`save` (also a CLI output directory)."""
        from ._layers import (LastValueShift, MaskedConv1D, MaskedGlobalPool,  # noqa: F401 - registers them
                              MaskedMultiScaleConv1D)

        path = Path(path)
        meta_file = path / "seqfeed.json"
        if not os.path.lexists(path):
            recover_dir(path)  # a save killed between its renames left the previous model aside: put it back
        if not path.exists():
            raise ConfigError(f"SequenceModel.load: {path} does not exist.", argument="path",
                              fix="pass the directory written by save() or `seqfeed train --out`")
        if not meta_file.exists():
            raise ConfigError(f"SequenceModel.load: {path} has no seqfeed.json; it is not a seqfeed model "
                              f"directory.", argument="path", fix="pass the directory written by save() or "
                                                                  "`seqfeed train --out`")
        meta = json.loads(meta_file.read_text())
        model = keras.saving.load_model(path / "model.keras")
        scaler = None
        if meta.get("scaler"):
            from ..transforms import Standardizer

            scaler = Standardizer.from_dict(meta["scaler"])
        classes = None
        if meta.get("classes") is not None:
            classes = np.asarray(meta["classes"], dtype=np.dtype(meta["classes_dtype"]))
        return cls(model, task=meta["task"], n_features=meta["n_features"], classes=classes,
                   feature_names=meta.get("feature_names"), padding=meta.get("padding", "post"),
                   scaler=scaler, horizon=meta.get("horizon", 1), info=meta.get("info"),
                   restructure=Restructure.coerce(meta.get("restructure"), argument="path"))

    def __repr__(self):
        return (f"SequenceModel(task={self.task!r}, features={self.n_features}, "
                f"classes={None if self.classes is None else self.classes.size}, padding={self.padding!r})")


def _json(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
