"""seqfeed: raw sequential data -> correct, efficient LSTM inputs.

``import seqfeed`` loads NumPy only; PyArrow, TensorFlow/Keras and matplotlib are
imported lazily by the functions that need them (``seqfeed.keras`` for models).

The subpackages and public modules (``seqfeed.datasets``, ``seqfeed.sources``, ``seqfeed.keras``,
``seqfeed.metrics``, ...) are attributes of the package, each imported on first access: after
``import seqfeed`` alone, ``seqfeed.datasets.japanese_vowels()`` works, and TensorFlow is imported
only when ``seqfeed.keras`` is first touched.
"""

import importlib

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

# imported on first attribute access (PEP 562), so that `import seqfeed` stays light
_LAZY_MODULES = ("baselines", "batching", "cli", "core", "datasets", "keras", "metrics", "sources", "spark",
                 "transforms")


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY_MODULES))
