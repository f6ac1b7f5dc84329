import re

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seqfeed
from seqfeed import DataError, SequenceSet, ShapeError

from strategies import as2d, ragged


def test_from_sequences_layout_and_views():
    s = SequenceSet.from_sequences([np.array([[1, 2], [3, 4]], "f4"), np.zeros((0, 2), "f4"),
                                    np.array([[5, 6]], "f4")])
    assert s.offsets.tolist() == [0, 2, 2, 3]
    assert s.lengths.tolist() == [2, 0, 1]
    assert s.values.shape == (3, 2)
    np.testing.assert_array_equal(s[2], [[5, 6]])
    assert s[1].shape == (0, 2)
    with pytest.raises(ValueError):
        s[0][0, 0] = 9  # read-only view: the set cannot be changed through it


def test_constructor_does_not_mutate_or_freeze_inputs():
    values = np.arange(6.0).reshape(3, 2)
    offsets = np.array([0, 1, 3])
    s = SequenceSet(values, offsets)
    assert values.flags.writeable and offsets.flags.writeable
    values[0, 0] = 42.0  # the caller still owns their array
    assert s.values[0, 0] == 42.0  # ...and the set shares it (no copy)


@pytest.mark.parametrize("offsets, pattern", [
    ([1, 3], r"`offsets\[0\]` must be 0\. Received offsets\[0\]=1"),
    ([0, 2, 1, 3], r"non-decreasing; offsets\[2\]=1 < offsets\[1\]=2 \(sequence 1"),
    ([0, 2], r"`offsets\[-1\]` must equal len\(values\)\. Received offsets\[-1\]=2"),
])
def test_offsets_invariants_are_checked(offsets, pattern):
    with pytest.raises(seqfeed.SeqfeedError, match=pattern):
        SequenceSet(np.zeros((3, 1)), offsets)


def test_targets_length_checked():
    with pytest.raises(ShapeError, match=r"`targets` must have one entry per sequence \(2\)\. Received shape \(3,\)"):
        SequenceSet(np.zeros((3, 1)), [0, 1, 3], targets=[0, 1, 2])


def test_feature_count_mismatch_names_sequence():
    with pytest.raises(ShapeError, match=r"^SequenceSet.from_sequences: `sequences\[2\]` has 3 features per step but sequences\[0\] has 2"):
        SequenceSet.from_sequences([np.zeros((2, 2)), np.zeros((1, 2)), np.zeros((4, 3))])


def test_non_numeric_rejected_with_index():
    with pytest.raises(DataError, match=r"`sequences` \(sequence 1\) must hold numbers.*dtype <U1"):
        SequenceSet.from_sequences([np.zeros(2), np.array(["a", "b"])])


def test_from_padded_with_lengths_and_mask_roundtrip():
    x = np.arange(24, dtype="f4").reshape(2, 4, 3)
    s = SequenceSet.from_padded(x, lengths=[4, 2])
    assert s.lengths.tolist() == [4, 2]
    np.testing.assert_array_equal(s[1], x[1, :2])
    pre = SequenceSet.from_padded(x, mask=[[1, 1, 1, 1], [0, 0, 1, 1]], input_padding="pre")
    np.testing.assert_array_equal(pre[1], x[1, 2:])


def test_from_padded_mask_with_hole_rejected():
    x = np.zeros((2, 4, 1))
    with pytest.raises(DataError, match=r"`mask` row 1 is not one run of real steps \(post padding\): step 2 is True after the first False at step 1"):
        SequenceSet.from_padded(x, mask=np.array([[1, 1, 1, 1], [1, 0, 1, 0]], bool))


@given(ragged(max_n=6, max_len=9), st.data())
def test_take_matches_python_indexing(seqs, data):
    s = SequenceSet.from_sequences(seqs)
    idx = data.draw(st.lists(st.integers(0, len(seqs) - 1), max_size=10))
    t = s.take(np.array(idx, dtype=np.int64))
    assert len(t) == len(idx)
    for k, i in enumerate(idx):
        np.testing.assert_array_equal(t[k], as2d(seqs[i]))


def test_slice_shares_values():
    s = SequenceSet.from_sequences([np.ones((2, 1)), np.ones((3, 1)), np.ones((1, 1))])
    t = s[1:3]
    assert np.shares_memory(t.values, s.values)
    assert t.lengths.tolist() == [3, 1]


def test_arrow_list_column_zero_copy():
    flat = np.arange(12, dtype=np.float32)
    inner = pa.FixedSizeListArray.from_arrays(pa.array(flat), 2)
    col = pa.ListArray.from_arrays(pa.array([0, 2, 2, 6], pa.int32()), inner)
    s = SequenceSet.from_arrow(col)
    assert s.lengths.tolist() == [2, 0, 4]
    assert s.n_features == 2
    np.testing.assert_array_equal(s[2], flat[4:].reshape(4, 2))
    assert np.shares_memory(s.values, np.asarray(inner.flatten()))


def test_arrow_sliced_and_chunked():
    col = pa.array([[1.0, 2.0], [3.0], [4.0, 5.0, 6.0]], pa.list_(pa.float64()))
    s = SequenceSet.from_arrow(col.slice(1))
    assert s.lengths.tolist() == [1, 3]
    np.testing.assert_array_equal(s.values[:, 0], [3, 4, 5, 6])
    chunked = pa.chunked_array([col, col])
    assert SequenceSet.from_arrow(chunked).lengths.tolist() == [2, 1, 3, 2, 1, 3]


def test_arrow_nulls_and_ragged_steps_rejected():
    with pytest.raises(DataError, match=r"sequence 1 is null"):
        SequenceSet.from_arrow(pa.array([[1.0], None], pa.list_(pa.float32())))
    with pytest.raises(DataError, match=r"step 1 of sequence 1 holds a null value"):
        SequenceSet.from_arrow(pa.array([[1.0], [2.0, None]], pa.list_(pa.float32())))
    with pytest.raises(seqfeed.ConfigError, match=r"variable-size lists.*Fix: cast the column"):
        SequenceSet.from_arrow(pa.array([[[1.0, 2.0], [3.0]]], pa.list_(pa.list_(pa.float32()))))


def test_to_arrow_roundtrip():
    s = SequenceSet.from_sequences([np.ones((2, 3)), np.zeros((1, 3))])
    back = SequenceSet.from_arrow(s.to_arrow())
    np.testing.assert_array_equal(back.values, s.values)
    np.testing.assert_array_equal(back.offsets, s.offsets)


def test_repr_is_informative():
    s = SequenceSet.from_sequences([np.ones((2, 3)), np.zeros((5, 3))], targets=[0, 1])
    assert re.fullmatch(r"SequenceSet\(n=2, features=3, lengths 2\.\.5 \(median 3\.5\), dtype=float64, targets \(2,\)\)", repr(s))


@given(ragged(max_n=10, features=2, allow_1d=False), st.integers(0, 2**31 - 1), st.integers(1, 3))
def test_concat_of_a_split_is_the_reordered_set(seqs, seed, parts):
    s = SequenceSet.from_sequences(seqs, targets=np.arange(len(seqs)) * 10, ids=[f"e{i}" for i in range(len(seqs))],
                                   feature_names=["a", "b"])
    order = np.random.default_rng(seed).permutation(len(s))
    pieces = [s.take(p) for p in np.array_split(order, parts)]
    before = [p.values.copy() for p in pieces]
    c = SequenceSet.concat(pieces)
    assert len(c) == len(s) and c.feature_names == ("a", "b")
    assert c.targets.tolist() == (order * 10).tolist() and c.ids.tolist() == [f"e{i}" for i in order]
    for k, i in enumerate(order):
        np.testing.assert_array_equal(c[k], s[i])
    for p, b in zip(pieces, before):
        np.testing.assert_array_equal(p.values, b)  # inputs untouched


def test_concat_refuses_mismatched_sets():
    a = SequenceSet.from_sequences([np.ones((2, 2))], targets=[1])
    with pytest.raises(ShapeError, match="set 1 has 3 features"):
        SequenceSet.concat([a, SequenceSet.from_sequences([np.ones((2, 3))], targets=[1])])
    with pytest.raises(DataError, match="set 1 lacks `targets`"):
        SequenceSet.concat([a, SequenceSet.from_sequences([np.ones((2, 2))])])
    with pytest.raises(seqfeed.SeqfeedError, match="non-empty list"):
        SequenceSet.concat([])
    with pytest.raises(seqfeed.SeqfeedError, match=r"sets\[1\] is a ndarray"):
        SequenceSet.concat([a, np.ones((2, 2))])
    names = SequenceSet.concat([SequenceSet.from_sequences([np.ones((1, 2))], feature_names=["a", "b"]),
                                SequenceSet.from_sequences([np.ones((1, 2))], feature_names=["c", "d"])])
    assert names.feature_names is None


@given(st.integers(1, 5), st.integers(0, 6), st.randoms(use_true_random=False))
def test_select_features_undoes_any_column_permutation(n_features, n_seqs, rnd):
    rng = np.random.default_rng(rnd.randint(0, 2**31))
    lengths = rng.integers(0, 5, n_seqs)
    values = rng.normal(size=(int(lengths.sum()), n_features)).astype("f4")
    names = [f"f{k}" for k in range(n_features)]
    s = SequenceSet(values, np.concatenate([[0], np.cumsum(lengths)]), feature_names=names)
    perm = list(range(n_features))
    rnd.shuffle(perm)
    shuffled = SequenceSet(values[:, perm].copy(), s.offsets, feature_names=[names[k] for k in perm])
    before = shuffled.values.copy()
    back = shuffled.select_features(names)
    np.testing.assert_array_equal(back.values, values)
    assert list(back.feature_names) == names and back.offsets.tolist() == s.offsets.tolist()
    np.testing.assert_array_equal(shuffled.values, before)  # the input is not changed
    if n_features > 1:  # a subset in another order
        sub = shuffled.select_features(names[::-2])
        np.testing.assert_array_equal(sub.values, values[:, ::-2])


def test_select_features_names_every_missing_feature():
    s = SequenceSet(np.zeros((2, 2), "f4"), [0, 2], feature_names=["a", "b"])
    with pytest.raises(ShapeError, match=r"no feature 'c', 'd'; expected 'a', 'c', 'd' \(matched by name") as e:
        s.select_features(["a", "c", "d"])
    assert e.value.argument == "data" and e.value.received == ["a", "b"] and e.value.fix
    with pytest.raises(DataError):
        s.select_features(["z"], _error=DataError)
    assert s.select_features(["a", "b"]) is s
    assert SequenceSet(np.zeros((2, 2), "f4"), [0, 2]).select_features(["a", "b"]).feature_names is None
