import numpy as np
import pytest

import seqfeed
from seqfeed import ShapeError, as_lstm_input


def test_lone_series_becomes_1_T_1():
    b = as_lstm_input(np.arange(10.0))
    assert b.x.shape == (1, 10, 1) and b.mask.all()
    assert as_lstm_input([1, 2, 3]).x.shape == (1, 3, 1)


def test_2d_is_never_guessed():
    with pytest.raises(ShapeError, match=(
            r"^as_lstm_input: a 2-D array of shape \(20, 3\) is ambiguous: it is either ONE sequence of 20 time steps "
            r"with 3 features, or a batch of 20 sequences of 3 time steps with one feature each\. Fix: pass "
            r"layout='time_features' for the first \(gives x of shape \(1, 20, 3\)\) or layout='batch_time'")):
        as_lstm_input(np.zeros((20, 3)))
    assert as_lstm_input(np.zeros((20, 3)), layout="time_features").x.shape == (1, 20, 3)
    assert as_lstm_input(np.zeros((20, 3)), layout="batch_time").x.shape == (20, 3, 1)


def test_3d_passes_through_with_mask():
    x = np.random.default_rng(0).random((3, 20, 2))
    b = as_lstm_input(x)
    assert b.x.shape == (3, 20, 2) and b.x.dtype == np.float32 and b.mask.all()
    np.testing.assert_allclose(b.x, x.astype(np.float32))
    m = np.ones((3, 20), bool)
    m[1, 15:] = False
    b = as_lstm_input(x, mask=m)
    np.testing.assert_array_equal(b.mask, m)
    np.testing.assert_array_equal(b.x[1, 15:], 0)


def test_seed_example_3_double_expand_dims_is_explained():
    stacked = np.zeros((3, 15, 1))
    with pytest.raises(ShapeError, match=r"4-D with shape \(3, 15, 1, 1\).*Example 3.*Fix: drop the extra axis with np\.squeeze\(x, axis=-1\)"):
        as_lstm_input(np.expand_dims(stacked, -1))


def test_list_of_variable_length_arrays_is_padded():
    rng = np.random.default_rng(0)
    seqs = [rng.random((15, 1)), rng.random((10, 1)), rng.random((12, 1))]
    b = as_lstm_input(seqs)
    assert b.x.shape == (3, 15, 1)
    np.testing.assert_array_equal(b.lengths, [15, 10, 12])


def test_scalar_in_list_of_sequences_is_named():
    with pytest.raises(ShapeError, match=r"`data\[1\]` is a scalar \(3\)"):
        seqfeed.pad([[1.0, 2.0], 3])


def test_sequence_with_extra_axis_named():
    with pytest.raises(ShapeError, match=r"`data\[1\]` has shape \(4, 1, 1\).*np\.squeeze"):
        seqfeed.pad([np.zeros((3, 1)), np.zeros((4, 1, 1))])
