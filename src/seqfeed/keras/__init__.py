"""Masked Keras recurrent models, and the automatic training recipe.

* :func:`train` -- the whole recipe of ``seqfeed train`` (leakage-free split, scaling fitted on the
  training split, restructuring search, small-data refit, baselines, model card) as one call that
  returns a :class:`TrainRun`.
* :func:`evaluate_model`, :func:`prediction_columns` -- a trained model on new data (forecasting
  models included: they carry their window, horizon and scaler).
* :func:`build_lstm` -- a Keras model with inputs ``x`` and ``mask`` for the four tasks.
* :class:`SequenceModel` -- that model plus classes, features, scaler; fit/predict/evaluate
  on SequenceSets; save/load with everything needed to predict on new data.
* :class:`KerasDataset`, :func:`to_tf_dataset` -- adapters from a BatchLoader.
* :func:`cudnn_compatible` -- does a batch/layer satisfy cuDNN's rules, and why not.

Names are loaded on first use: ``import seqfeed.keras`` itself does not import TensorFlow, so
:func:`train` checks its options and reads its data before TensorFlow starts (a bad option fails
in milliseconds). Anything that builds a model imports TensorFlow, with an install hint if it is
missing.
"""

import importlib

# public name -> the private module that defines it
_WHERE = {
    "build_lstm": "_builders", "compile_for_task": "_builders",
    "CudnnCheck": "_cudnn", "cudnn_compatible": "_cudnn",
    "KerasDataset": "_data", "batch_to_keras": "_data", "to_tf_dataset": "_data",
    "run_local_workers": "_distribute", "train_distributed": "_distribute",
    "ShardPyDataset": "_stream_data", "shard_tf_dataset": "_stream_data",
    "MaskedConv1D": "_layers", "MaskedMultiScaleConv1D": "_layers",
    "SequenceModel": "_model",
    "train": "_recipe", "TrainRun": "_recipe", "baseline_headline": "_evaluate",
    "evaluate_model": "_apply", "prediction_columns": "_apply",
    "LONG": "_choose", "msconv_size": "_choose", "restructure_candidates": "_choose",
}

__all__ = sorted([*_WHERE, "load_model"])


def __getattr__(name):
    if name == "load_model":
        return __getattr__("SequenceModel").load
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'seqfeed.keras' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
