import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seqfeed
from seqfeed import ConfigError, DataError, SequenceSet
from seqfeed.sources import read, read_npz, read_table, write_long_csv, write_npz

from strategies import ragged


@given(ragged(max_n=6, max_len=7), st.booleans(), st.booleans())
def test_npz_roundtrip_keeps_everything(tmp_path_factory, seqs, with_ids, compress):
    n = len(seqs)
    plain = SequenceSet.from_sequences(seqs)
    s0 = SequenceSet(plain.values, plain.offsets, targets=np.array([f"c{i % 3}" for i in range(n)]),
                     ids=np.arange(100, 100 + n) if with_ids else None,
                     feature_names=[f"f{j}" for j in range(plain.n_features)] if with_ids else None)
    path = tmp_path_factory.mktemp("npz") / "set.npz"
    write_npz(s0, path, compress=compress)
    s = read_npz(path)
    np.testing.assert_array_equal(s.values, s0.values)
    assert s.values.dtype == s0.values.dtype
    np.testing.assert_array_equal(s.offsets, s0.offsets)
    assert s.targets.tolist() == s0.targets.tolist()
    assert (s.ids is None) == (s0.ids is None)
    if with_ids:
        assert s.ids.tolist() == s0.ids.tolist()
    assert s.feature_names == s0.feature_names


def test_npz_step_targets_object_arrays_and_errors(tmp_path):
    s0 = SequenceSet.from_sequences([np.ones((2, 1)), np.zeros((1, 1))], step_targets=[[1, 2], [3]],
                                    ids=np.array(["a", "b"], dtype=object))
    write_npz(s0, tmp_path / "a.npz")
    s = read_npz(tmp_path / "a.npz")
    assert s.step_targets.tolist() == [1, 2, 3] and s.ids.tolist() == ["a", "b"] and s.ids.dtype.kind == "U"
    bad = SequenceSet.from_sequences([np.ones((1, 1))], ids=np.array([object()], dtype=object))
    with pytest.raises(DataError, match=r"^write_npz: `ids` is an object array"):
        write_npz(bad, tmp_path / "b.npz")
    assert not (tmp_path / "b.npz").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]  # no temporary file left behind
    np.savez(tmp_path / "other.npz", x=np.ones(2))
    with pytest.raises(DataError, match=r"^read_npz: other\.npz has no \['values', 'offsets'\] array\(s\); it holds \['x'\]"):
        read_npz(tmp_path / "other.npz")
    with pytest.raises(ConfigError, match=r"`data` must be a SequenceSet"):
        write_npz([np.ones(2)], tmp_path / "c.npz")


def test_write_long_csv_layout_and_times(tmp_path):
    s = SequenceSet.from_sequences([np.array([[1.5, 2.0], [3.0, 4.25]], "f4"), np.array([[5.0, 6.0]], "f4")],
                                   ids=np.array(["u", "v"]), targets=[0.5, 1.0], feature_names=["a", "b"])
    path = tmp_path / "out.csv"
    write_long_csv(s, path, id="key", time="t", target="label", times=[1990, 1991, 2000])
    assert path.read_text().splitlines() == [
        "key,t,a,b,label", "u,1990,1.5,2,0.5", "u,1991,3,4.25,0.5", "v,2000,5,6,1"]
    back = read_table(path, id="key", time="t", target="label")
    np.testing.assert_array_equal(back.values, s.values)
    with pytest.raises(seqfeed.ShapeError, match=r"`times` must have one entry per step, shape \(3,\)"):
        write_long_csv(s, path, times=[1, 2])
    with pytest.raises(ConfigError, match=r"column name\(s\) \['a'\] would appear twice"):
        write_long_csv(s, path, id="a")


def test_write_is_atomic_when_it_fails(tmp_path):
    path = tmp_path / "keep.csv"
    path.write_text("old content\n")
    s = SequenceSet.from_sequences([np.ones((1, 1))])
    with pytest.raises(seqfeed.ShapeError):
        write_long_csv(s, path, times=[1, 2, 3])
    assert path.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


def test_read_dispatches_by_suffix_and_name(tmp_path):
    s0 = SequenceSet.from_sequences([np.ones((2, 1), "f4"), np.zeros((3, 1), "f4")], ids=[4, 5],
                                    feature_names=["v"])
    write_npz(s0, tmp_path / "s.npz")
    write_long_csv(s0, tmp_path / "s.csv")
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    pq.write_table(pacsv.read_csv(tmp_path / "s.csv"), tmp_path / "s.parquet")
    for name in ("s.npz", "s.csv", "s.parquet"):
        s = read(tmp_path / name)
        np.testing.assert_array_equal(s.values, s0.values)
        assert s.ids.tolist() == [4, 5]
    (tmp_path / "s.ts").write_text("@classLabel false\n@data\n1,2\n")
    assert read(str(tmp_path / "s.ts")).lengths.tolist() == [2]
    train = read("japanese_vowels", split="train")
    assert len(train) == 270
    assert read(pa.table({"id": [1], "time": [0], "v": [2.0]})).values.tolist() == [[2.0]]
    with pytest.raises(ConfigError, match=r"^read: cannot tell how to read 'data\.xlsx'\. Supported suffixes: "
                                          r"\.csv, \.csv\.gz, \.parquet, \.pq, \.ts, \.ts\.gz, \.npz; bundled datasets"):
        read("data.xlsx")


def test_atomic_files_get_normal_permissions(tmp_path):
    s0 = SequenceSet.from_sequences([np.ones((1, 1))])
    write_npz(s0, tmp_path / "p.npz")
    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(tmp_path / "p.npz").st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600


def test_import_does_not_load_pyarrow_or_pandas():
    code = ("import sys, seqfeed.sources, seqfeed.datasets; "
            "print(','.join(m for m in ('pyarrow', 'pandas', 'polars') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_one_resolver_for_read_and_the_cli(tmp_path):
    from seqfeed import datasets
    from seqfeed.datasets.resolve import is_bundled
    from seqfeed.sources._files import BUNDLED, Resolved, resolve_source

    assert datasets.names() == list(BUNDLED)
    assert [resolve_source(p).kind for p in ("a.CSV", "a.csv.gz", "a.pq", "b.ts.gz", "c.npz", "d.npy")] == \
        ["csv", "csv", "parquet", "ts", "npz", "npy"]
    assert resolve_source("japanese_vowels:test") == Resolved("bundled", "japanese_vowels", "test")
    assert resolve_source("a.xlsx") is None and resolve_source("japanese_vowel") is None
    assert resolve_source({"x": [1]}).kind == "table"
    (tmp_path / "sunspots").write_text("a file wins over a dataset name")
    assert resolve_source(str(tmp_path / "sunspots")) is None
    assert is_bundled("sunspots") and is_bundled("japanese_vowels:train") and not is_bundled("x.csv")
    test = read("japanese_vowels:test")
    assert len(test) == 370 and test.ids[0] == "test-0"
    assert len(read("japanese_vowels", split="train")) == 270
