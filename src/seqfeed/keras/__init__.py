"""Masked Keras recurrent models (imports TensorFlow/Keras; ``import seqfeed`` does not).

* :func:`build_lstm` -- a Keras model with inputs ``x`` and ``mask`` for the four tasks.
* :class:`SequenceModel` -- that model plus classes, features, scaler; fit/predict/evaluate
  on SequenceSets; save/load with everything needed to predict on new data.
* :class:`KerasDataset`, :func:`to_tf_dataset` -- adapters from a BatchLoader.
* :func:`cudnn_compatible` -- does a batch/layer satisfy cuDNN's rules, and why not.
"""

from ._lazy import keras as _keras  # noqa: F401  (imports TensorFlow with an install hint)
from ._builders import build_lstm, compile_for_task
from ._cudnn import CudnnCheck, cudnn_compatible
from ._data import KerasDataset, batch_to_keras, to_tf_dataset
from ._distribute import run_local_workers, train_distributed
from ._stream_data import ShardPyDataset, shard_tf_dataset
from ._layers import MaskedConv1D, MaskedMultiScaleConv1D
from ._model import SequenceModel

load_model = SequenceModel.load

__all__ = ["CudnnCheck", "KerasDataset", "MaskedConv1D", "MaskedMultiScaleConv1D", "SequenceModel", "batch_to_keras",
           "build_lstm",
           "compile_for_task", "cudnn_compatible", "load_model", "run_local_workers", "shard_tf_dataset",
           "ShardPyDataset", "to_tf_dataset", "train_distributed"]
