"""seqfeed: raw sequential data -> correct, efficient LSTM inputs.

``import seqfeed`` loads NumPy only; PyArrow, TensorFlow/Keras and matplotlib are
imported lazily by the functions that need them (``seqfeed.keras`` for models).
"""

from ._errors import ConfigError, DataError, SeqfeedError, SeqfeedWarning, ShapeError
from .core import (
    Batch,
    Diagnosis,
    SequenceSet,
    as_lstm_input,
    as_sequence_set,
    explain,
    pad,
    pad_sequences,
)

from .batching import (AdaptiveSampler, BatchLoader, BucketSampler, FixedSampler, ShapeBucketSampler, ShardDataset, TokenBudgetSampler,
                       padding_report)
from .transforms import (Standardizer, sliding_windows, split_by_entity, split_by_time, timeseries_windows)

from ._version import __version__

__all__ = [
    "AdaptiveSampler",
    "Batch",
    "BatchLoader",
    "BucketSampler",
    "ShapeBucketSampler",
    "FixedSampler",
    "ShardDataset",
    "Standardizer",
    "TokenBudgetSampler",
    "padding_report",
    "sliding_windows",
    "split_by_entity",
    "split_by_time",
    "timeseries_windows",
    "ConfigError",
    "DataError",
    "Diagnosis",
    "SeqfeedError",
    "SeqfeedWarning",
    "SequenceSet",
    "ShapeError",
    "as_lstm_input",
    "as_sequence_set",
    "explain",
    "pad",
    "pad_sequences",
]
