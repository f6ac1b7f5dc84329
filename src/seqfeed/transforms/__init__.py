"""Transforms between the ragged core and batching: windows, leakage-free splits, scaling.

Everything here is NumPy only (no TensorFlow import) and never modifies its inputs.
"""

from ._frames import frame, frame_lengths, frame_summary, pool
from ._restructure import Restructure
from ._scale import Standardizer
from ._split import split_by_entity, split_by_time, split_windows_by_time
from ._keras_windows import timeseries_windows
from ._sliding import sliding_windows
from ._windows import Windows

__all__ = [
    "frame",
    "frame_lengths",
    "frame_summary",
    "pool",
    "Restructure",
    "Standardizer",
    "Windows",
    "sliding_windows",
    "split_by_entity",
    "split_by_time",
    "split_windows_by_time",
    "timeseries_windows",
]
