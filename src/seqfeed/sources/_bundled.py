"""The real datasets shipped inside the package, public as ``seqfeed.datasets``.

The files are in ``seqfeed/datasets/data`` (``SOURCES.md`` there gives origin and licence). The
loaders live here, among the readers, because :func:`seqfeed.sources.read` resolves a dataset name.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._errors import ConfigError, check_choice
from ..core import SequenceSet
from ._files import BUNDLED
from ._ts import read_ts
from ._write import write_long_csv as _write_csv

__all__ = ["Series", "export_csv", "japanese_vowels", "sunspots", "load", "names"]

_NAMES = BUNDLED  # the one list of bundled datasets, shared with the readers and the CLI
_SPLITS = ("train", "test")


def _data_file(name: str):
    return resources.files("seqfeed").joinpath("datasets", "data", name)


@dataclass(frozen=True)
class Series:
    """One regularly sampled series.

    Attributes:
        time: int64 ``(T,)``, the time of each value (e.g. the year).
        values: float64 ``(T,)``.
        name: what the values measure.

    The arrays are read-only.
    """

    time: np.ndarray
    values: np.ndarray
    name: str

    def __len__(self) -> int:
        return int(self.values.shape[0])


@functools.lru_cache(maxsize=None)
def _vowels(split: str) -> SequenceSet:
    with _data_file(f"japanese_vowels_{split}.ts.gz").open("rb") as f:
        s = read_ts(f)
    ids = np.array([f"{split}-{i}" for i in range(len(s))])
    return SequenceSet(s.values, s.offsets, targets=s.targets, ids=ids,
                       feature_names=[f"lpc_{j + 1}" for j in range(s.n_features)])


def japanese_vowels(split: str | None = None):
    """JapaneseVowels (UCI; Kudo, Toyama and Shimbo 1999): 9 speakers saying "ae".

    Each sequence is one utterance: 7 to 29 frames of 12 LPC cepstrum coefficients
    (``feature_names`` ``"lpc_1"`` ... ``"lpc_12"``, float32). ``targets`` are the
    speakers ``"1"`` ... ``"9"`` (str); ``ids`` are ``"train-0"``, ... / ``"test-0"``, ...
    The train split has 270 sequences (lengths 7-26), the test split 370 (7-29).

    Args:
        split: None (both), ``"train"`` or ``"test"``.

    Returns:
        ``(train, test)`` SequenceSets, or the one split asked for.
    """
    if split is None:
        return _vowels("train"), _vowels("test")
    check_choice("japanese_vowels", "split", split, _SPLITS)
    return _vowels(split)


@functools.lru_cache(maxsize=None)
def sunspots() -> Series:
    """Yearly sunspot activity 1700-2008 (309 values; NOAA NGDC, public domain)."""
    with _data_file("sunspots.csv").open("r") as f:
        table = np.loadtxt(f, delimiter=",", skiprows=1)
    time = table[:, 0].astype(np.int64)
    values = table[:, 1].astype(np.float64)
    time.flags.writeable = False
    values.flags.writeable = False
    return Series(time=time, values=values, name="sunactivity")


def names() -> list[str]:
    """The names of the bundled datasets."""
    return list(_NAMES)


def _check_name(op: str, name) -> None:
    if name not in _NAMES:
        raise ConfigError(f"{op}: unknown dataset {name!r}. Available: {list(_NAMES)}.",
                          argument="name", received=name)


def load(name: str, **options):
    """Load a bundled dataset by name: ``"japanese_vowels"`` (options: ``split``) or ``"sunspots"``."""
    _check_name("load", name)
    if name == "japanese_vowels":
        return japanese_vowels(**options)
    if options:
        raise ConfigError(f"load: 'sunspots' takes no options. Received: {sorted(options)}.",
                          argument=sorted(options)[0])
    return sunspots()


def export_csv(name: str, out) -> list[str]:
    """Write a bundled dataset as long-format CSV file(s) into the directory ``out``; return their paths.

    * ``"japanese_vowels"``: ``japanese_vowels_train.csv`` and ``japanese_vowels_test.csv``,
      columns ``id, time, lpc_1 ... lpc_12, speaker`` (time = frame index).
    * ``"sunspots"``: ``sunspots.csv``, columns ``id, time, sunactivity`` (one id,
      ``"sunspots"``; time = year).

    ``out`` is created if needed; files are written atomically (with
    :func:`seqfeed.sources.write_long_csv`).
    """
    _check_name("export_csv", name)
    os.makedirs(out, exist_ok=True)
    paths = []
    if name == "japanese_vowels":
        for split in _SPLITS:
            path = os.path.join(os.fspath(out), f"japanese_vowels_{split}.csv")
            _write_csv(_vowels(split), path, target="speaker")
            paths.append(path)
        return paths
    s = sunspots()
    seq = SequenceSet(s.values.reshape(-1, 1), np.array([0, len(s)]), ids=np.array(["sunspots"]),
                      feature_names=[s.name])
    path = os.path.join(os.fspath(out), "sunspots.csv")
    _write_csv(seq, path, times=s.time)
    return [path]
