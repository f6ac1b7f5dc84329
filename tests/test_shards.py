"""Sequence shards: write_shards / read_shards round trips, manifest, zero copy, bad inputs."""

import json
import os
import tempfile

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqfeed import ConfigError, DataError, SequenceSet
from seqfeed.sources import read, read_shards, write_shards
from seqfeed.sources._shards import _table_values, merge_moments, moments_of
from strategies import ragged


def _set(seqs, *, ids="int", targets=None, seed=0):
    rng = np.random.default_rng(seed)
    s = SequenceSet.from_sequences([np.asarray(a, dtype=np.float32) for a in seqs])
    n = len(s)
    idv = np.arange(n) * 3 + 1 if ids == "int" else np.array([f"e{i:03d}" for i in range(n)])
    t = st_ = None
    if targets == "sequence":
        t = rng.integers(0, 3, n)
    elif targets == "label":
        t = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    elif targets == "step":
        st_ = rng.normal(size=s.n_steps)
    return SequenceSet(s.values, s.offsets, targets=t, step_targets=st_, ids=idv,
                       feature_names=[f"f{j}" for j in range(s.n_features)])


def _same(a, b):
    assert np.array_equal(a.ids, b.ids)
    assert np.array_equal(a.offsets, b.offsets)
    assert np.array_equal(a.values, b.values)
    assert a.values.dtype == b.values.dtype
    for name in ("targets", "step_targets"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None)
        if x is not None:
            assert np.array_equal(x, y)
    assert tuple(a.feature_names) == tuple(b.feature_names)


@settings(max_examples=25)
@given(seqs=ragged(max_n=12, max_len=9, features=2, allow_1d=False),
       ids=st.sampled_from(["int", "str"]),
       targets=st.sampled_from([None, "sequence", "label", "step"]),
       rows_per_file=st.one_of(st.none(), st.integers(1, 5)))
def test_write_then_read_gives_the_same_sequence_set(seqs, ids, targets, rows_per_file):
    s = _set(seqs, ids=ids, targets=targets)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "shards")
        m = write_shards(s, out, rows_per_file=rows_per_file)
        _same(read_shards(out), s)
        _same(read(out), s)
        assert m["n_sequences"] == len(s) and m["n_steps"] == s.n_steps
        assert sum(f["sequences"] for f in m["files"]) == len(s)
        assert sorted(os.listdir(out)) == ["manifest.json"] + [f["name"] for f in m["files"]]
        if rows_per_file:
            assert len(m["files"]) == -(-len(s) // rows_per_file)
        hist = m["length_histogram"]
        assert sum(hist["counts"]) == len(s)
        L = s.lengths
        for i, c in enumerate(hist["counts"]):
            lo, hi = hist["edges"][i], hist["edges"][i + 1]
            assert c == int(((L >= lo) & (L < hi)).sum())


def test_one_part_file_is_read_without_copying_values(tmp_path):
    rng = np.random.default_rng(0)
    L = rng.integers(1, 50, 300)
    off = np.r_[0, np.cumsum(L)]
    s = SequenceSet(rng.normal(size=(off[-1], 4)).astype(np.float32), off, ids=np.arange(300))
    write_shards(s, tmp_path / "sh")
    t = pq.read_table(tmp_path / "sh" / "part-00000.parquet", memory_map=True)
    buf = t.column("values").chunk(0).flatten().flatten().buffers()[1]
    values, offsets = _table_values(t)
    assert buf.address <= values.ctypes.data < buf.address + buf.size  # a view of Arrow's buffer
    assert np.array_equal(values, s.values)
    r = read_shards(tmp_path / "sh")
    base = r.values
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    assert not isinstance(base, np.ndarray)  # owned by Arrow, not a NumPy copy
    assert not r.values.flags.writeable


def test_manifest_moments_are_numpy_mean_and_variance_of_training_steps(tmp_path):
    rng = np.random.default_rng(3)
    L = rng.integers(1, 30, 80)
    off = np.r_[0, np.cumsum(L)]
    s = SequenceSet((rng.normal(size=(off[-1], 3)) * [1, 10, 100] + [0, 5, -7]).astype(np.float32),
                    off, ids=np.arange(80), feature_names=["a", "b", "c"])
    split = ["test" if i % 4 == 0 else ("validation" if i % 4 == 1 else "train") for i in range(80)]
    m = write_shards(s, tmp_path / "sh", split=split, rows_per_file=7)
    train = np.concatenate([s[i] for i in range(80) if split[i] == "train"]).astype(np.float64)
    assert m["moments"]["split"] == "train"
    for j, f in enumerate("abc"):
        mo = m["moments"]["features"][f]
        assert mo["count"] == train.shape[0]
        np.testing.assert_allclose(mo["mean"], train[:, j].mean(), rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(mo["m2"] / mo["count"], train[:, j].var(), rtol=1e-9)
        assert mo["min"] == train[:, j].min() and mo["max"] == train[:, j].max()
    assert m["counts"]["train"]["sequences"] == split.count("train")
    # files hold one split each, train first; reading a split gives its sequences in id order
    order = [f["split"] for f in m["files"]]
    assert order == sorted(order, key=["train", "validation", "test"].index)
    for name in ("train", "validation", "test"):
        r = read_shards(tmp_path / "sh", split=name)
        keep = [i for i in range(80) if split[i] == name]
        _same(r, s.take(keep))
    with open(tmp_path / "sh" / "manifest.json") as fh:
        assert json.load(fh)["format_version"] == 1


@settings(max_examples=40)
@given(st.integers(1, 300), st.integers(0, 300), st.integers(0, 2**31 - 1))
def test_merged_moments_equal_moments_of_the_union(n1, n2, seed):
    rng = np.random.default_rng(seed)
    a = (rng.normal(size=(n1, 2)) * 50 + 1e3).astype(np.float32)
    b = (rng.normal(size=(n2, 2)) * 3).astype(np.float32)
    m = merge_moments(moments_of(a, block=7), moments_of(b, block=64))
    both = np.concatenate([a, b]).astype(np.float64)
    assert m["count"] == n1 + n2
    np.testing.assert_allclose(m["mean"], both.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(m["m2"], ((both - both.mean(axis=0)) ** 2).sum(axis=0), rtol=1e-9)
    assert np.array_equal(m["min"], both.min(axis=0)) and np.array_equal(m["max"], both.max(axis=0))


def test_columns_selects_and_orders_features(tmp_path):
    s = _set([np.arange(6.0).reshape(3, 2), np.ones((2, 2))])
    write_shards(s, tmp_path / "sh")
    r = read_shards(tmp_path / "sh", columns=["f1", "f0"])
    assert r.feature_names == ("f1", "f0")
    assert np.array_equal(r.values, s.values[:, [1, 0]])


def test_existing_output_is_kept_unless_force(tmp_path):
    s = _set([np.ones((2, 1))])
    write_shards(s, tmp_path / "sh")
    with pytest.raises(ConfigError, match=r"already exists") as e:
        write_shards(_set([np.zeros((3, 1))]), tmp_path / "sh")
    assert e.value.argument == "out" and e.value.fix
    assert read_shards(tmp_path / "sh").n_steps == 2
    write_shards(_set([np.zeros((3, 1))]), tmp_path / "sh", force=True)
    assert read_shards(tmp_path / "sh").n_steps == 3
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "mine.txt").write_text("keep me")
    with pytest.raises(ConfigError, match=r"not a shards directory"):
        write_shards(s, tmp_path / "other", force=True)
    assert (tmp_path / "other" / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "sh"]  # no temporary left


def test_bad_inputs_raise_named_errors(tmp_path):
    s = _set([np.ones((2, 1)), np.ones((1, 1))])
    with pytest.raises(ConfigError, match=r"`data` must be a SequenceSet"):
        write_shards([[1.0]], tmp_path / "a")
    with pytest.raises(ConfigError, match=r"`split` has 1 entries for 2 sequences"):
        write_shards(s, tmp_path / "a", split=["train"])
    with pytest.raises(ConfigError, match=r"split\[1\] is 'dev'"):
        write_shards(s, tmp_path / "a", split=["train", "dev"])
    with pytest.raises(ConfigError, match=r"rows_per_file"):
        write_shards(s, tmp_path / "a", rows_per_file=0)
    assert not (tmp_path / "a").exists()
    write_shards(s, tmp_path / "sh")
    with pytest.raises(ConfigError, match=r"split"):
        read_shards(tmp_path / "sh", split="dev")
    with pytest.raises(ConfigError, match=r"feature\(s\) \['nope'\] are not in the shards"):
        read_shards(tmp_path / "sh", columns=["nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"has no manifest.json"):
        read_shards(tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        read_shards(tmp_path / "missing")
    m = json.loads((tmp_path / "sh" / "manifest.json").read_text())
    m["format_version"] = 99
    (tmp_path / "sh" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(DataError, match=r"version 99 is newer"):
        read_shards(tmp_path / "sh")
    m["format_version"] = 1
    (tmp_path / "sh" / "manifest.json").write_text(json.dumps(m))
    (tmp_path / "sh" / "part-00000.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"cannot read part file 'part-00000.parquet'"):
        read_shards(tmp_path / "sh")


def test_inspect_summarises_a_shards_directory(tmp_path, capsys):
    from seqfeed.cli import main

    write_shards(_set([np.ones((4, 2)), np.ones((2, 2)), np.ones((3, 2))], targets="label"),
                 tmp_path / "sh")
    assert main(["inspect", str(tmp_path / "sh"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["sequences"] == 3 and info["features"] == 2
    assert info["lengths"]["min"] == 2 and info["lengths"]["max"] == 4


def test_a_file_marked_mixed_is_filtered_by_its_split_column(tmp_path):
    from seqfeed.sources._shards import sequence_table

    s = _set([np.full((k + 1, 1), float(k)) for k in range(6)])
    m = write_shards(s, tmp_path / "sh")
    split = ["train", "test", "train", None, "test", "validation"]
    pq.write_table(sequence_table(s, split), tmp_path / "sh" / "part-00000.parquet")
    m["files"][0]["split"] = "mixed"
    (tmp_path / "sh" / "manifest.json").write_text(json.dumps(m))
    _same(read_shards(tmp_path / "sh", split="test"), s.take([1, 4]))
    _same(read_shards(tmp_path / "sh", split="train"), s.take([0, 2]))
    _same(read_shards(tmp_path / "sh"), s)


def test_writer_cuts_one_large_table_into_files_of_about_file_bytes(tmp_path):
    from seqfeed.sources._shards import ShardWriter, sequence_table

    s = _set([np.full((5, 2), float(k)) for k in range(40)])  # 40 bytes of values per sequence
    w = ShardWriter(tmp_path / "sh", feature_names=s.feature_names, file_bytes=400)
    w.add(sequence_table(s))
    m = w.finish({})
    assert len(m["files"]) >= 4 and all(5 <= f["sequences"] <= 10 for f in m["files"][:-1])
    assert sum(f["sequences"] for f in m["files"]) == 40
    _same(read_shards(tmp_path / "sh"), s)
