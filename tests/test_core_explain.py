import numpy as np
import pytest

from seqfeed import SequenceSet, explain


def test_double_expand_dims():
    d = explain(np.zeros((3, 15, 1, 1)))
    assert not d.ok and "Example 3" in d.problems[0][0]
    assert d.problems[0][1] == "drop the extra axis: x = np.squeeze(x, axis=-1) gives (3, 15, 1)"


def test_2d_ambiguity_and_layout():
    d = explain(np.zeros((4, 7)))
    assert not d.ok and "(1, 4, 7)" in d.problems[0][0] and "(4, 7, 1)" in d.problems[0][0]
    assert explain(np.zeros((4, 7)), layout="batch_time").lstm_shape == (4, 7, 1)


def test_object_array_of_ragged_rows():
    arr = np.empty(3, dtype=object)
    arr[:] = [np.zeros(4), np.zeros(2), np.zeros(5)]
    d = explain(arr)
    assert d.ok and d.lstm_shape == (3, 5, 1)
    assert "lengths 2..5" in d.what


def test_nan_located():
    seqs = [np.zeros((3, 2)), np.zeros((4, 2))]
    seqs[1][2, 1] = np.nan
    d = explain(seqs)
    assert not d.ok
    assert "the first is sequence 1, step 2" in d.problems[0][0]
    s = SequenceSet.from_sequences(seqs)
    assert "the first is sequence 1, step 2" in explain(s).problems[0][0]


def test_nonnumeric_empty_and_feature_mismatch():
    assert "not numeric" in explain(np.array(["a", "b"])).problems[0][0]
    d = explain([np.zeros((2, 3)), np.zeros((0, 3)), np.zeros((2, 4))])
    msgs = " | ".join(m for m, _ in d.problems)
    assert "sequence 2 has 4 features per step but sequence 0 has 3" in msgs
    assert "1 empty sequence(s), the first at index 1" in msgs


def test_zero_tail_hint_for_padded_3d():
    x = np.ones((2, 4, 1))
    x[1, 2:] = 0
    d = explain(x)
    assert d.ok and "Masking(0.0)" in d.notes[0]


@pytest.mark.parametrize("obj", [np.float64(3.0), np.zeros((1, 2, 3, 4, 5))])
def test_unusable(obj):
    assert not explain(obj).ok
