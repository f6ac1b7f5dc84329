import dataclasses

import numpy as np
import pytest

from seqfeed import ConfigError, SequenceSet
from seqfeed import datasets
from seqfeed.sources import read_table


def test_names_and_load():
    assert datasets.names() == ["japanese_vowels", "sunspots"]
    train, test = datasets.load("japanese_vowels")
    assert (len(train), len(test)) == (270, 370)
    assert len(datasets.load("japanese_vowels", split="test")) == 370
    assert len(datasets.load("sunspots")) == 309
    with pytest.raises(ConfigError, match=r"^load: unknown dataset 'mnist'\. Available: \['japanese_vowels', 'sunspots'\]"):
        datasets.load("mnist")


def test_japanese_vowels_contents():
    train, test = datasets.japanese_vowels()
    assert datasets.japanese_vowels("train") is train  # parsed once, then cached (the set is read-only)
    for s, split, n, hi in ((train, "train", 270, 26), (test, "test", 370, 29)):
        assert isinstance(s, SequenceSet) and len(s) == n
        assert s.feature_names == tuple(f"lpc_{j}" for j in range(1, 13))
        assert (int(s.lengths.min()), int(s.lengths.max())) == (7, hi)
        assert s.ids[0] == f"{split}-0" and s.ids[-1] == f"{split}-{n - 1}"
        assert s.targets.dtype.kind == "U" and sorted(set(s.targets.tolist())) == [str(k) for k in range(1, 10)]
        assert s.values.dtype == np.float32
    # the training file is ordered by speaker, 30 utterances each
    assert np.unique(train.targets, return_counts=True)[1].tolist() == [30] * 9
    assert train[0][0, 0] == np.float32(1.860936)
    with pytest.raises(ConfigError, match=r"`split` must be one of \{'test', 'train'\}\. Received: split='valid'"):
        datasets.japanese_vowels("valid")


def test_sunspots_series():
    s = datasets.sunspots()
    assert s.name == "sunactivity"
    assert s.time.dtype == np.int64 and s.values.dtype == np.float64
    assert s.time.shape == s.values.shape == (309,)
    assert (s.time[0], s.time[-1]) == (1700, 2008) and np.all(np.diff(s.time) == 1)
    assert s.values[:4].tolist() == [5.0, 11.0, 16.0, 23.0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "x"
    with pytest.raises(ValueError):
        s.values[0] = 1.0


def test_export_csv_files_read_back(tmp_path):
    paths = datasets.export_csv("japanese_vowels", tmp_path / "jv")
    assert [p.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] for p in paths] == [
        "japanese_vowels_train.csv", "japanese_vowels_test.csv"]
    header = open(paths[0]).readline().strip().split(",")
    assert header == ["id", "time"] + [f"lpc_{j}" for j in range(1, 13)] + ["speaker"]
    train = datasets.japanese_vowels("train")
    back = read_table(paths[0], target="speaker", id_order="appearance")
    np.testing.assert_array_equal(back.values, train.values)
    np.testing.assert_array_equal(back.offsets, train.offsets)
    assert back.ids.tolist() == train.ids.tolist()
    assert back.targets.astype(str).tolist() == train.targets.tolist()  # CSV has no types: "1" reads as 1
    (sun,) = datasets.export_csv("sunspots", tmp_path)
    lines = open(sun).read().splitlines()
    assert lines[:3] == ["id,time,sunactivity", "sunspots,1700,5", "sunspots,1701,11"] and len(lines) == 310
    s = read_table(sun, dtype="float64")
    np.testing.assert_array_equal(s.values[:, 0], datasets.sunspots().values)
    with pytest.raises(ConfigError, match=r"unknown dataset 'nile'"):
        datasets.export_csv("nile", tmp_path)
