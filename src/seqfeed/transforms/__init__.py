"""Transforms between the ragged core and batching: windows, leakage-free splits, scaling.

Everything here is NumPy only (no TensorFlow import) and never modifies its inputs.
"""

from ._restructure import (apply_restructure, describe_restructure, frame, frame_lengths, frame_summary,
                           parse_restructure, pool)
from ._scale import Standardizer
from ._split import split_by_entity, split_by_time, split_windows_by_time
from ._windows import Windows, sliding_windows, timeseries_windows

__all__ = [
    "apply_restructure",
    "describe_restructure",
    "frame",
    "frame_lengths",
    "frame_summary",
    "parse_restructure",
    "pool",
    "Standardizer",
    "Windows",
    "sliding_windows",
    "split_by_entity",
    "split_by_time",
    "split_windows_by_time",
    "timeseries_windows",
]
