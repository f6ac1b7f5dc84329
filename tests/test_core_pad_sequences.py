"""seqfeed.pad_sequences is a drop-in for keras.utils.pad_sequences."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seqfeed
from seqfeed import ConfigError, SeqfeedWarning, ShapeError, pad_sequences

sides = st.sampled_from(["pre", "post"])


@pytest.mark.parametrize("truncating, padding, expected", [
    ("pre", "post", [[2, 3, 4], [5, 0, 0]]),
    ("post", "pre", [[1, 2, 3], [0, 0, 5]]),
    ("pre", "pre", [[2, 3, 4], [0, 0, 5]]),
    ("post", "post", [[1, 2, 3], [5, 0, 0]]),
])
def test_reference_examples(truncating, padding, expected):
    got = pad_sequences([[1, 2, 3, 4], [5]], maxlen=3, truncating=truncating, padding=padding)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)


def test_defaults_are_keras_defaults():
    got = pad_sequences([[1], [2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(got, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences([[1], [2, 3]], value=-1), [[-1, 1], [2, 3]])


def test_step_features_and_empty_sequences():
    seqs = [np.ones((2, 3)), np.zeros((0, 3)), np.arange(6).reshape(2, 3)]
    got = pad_sequences(seqs, maxlen=3, dtype="float32", padding="post")
    assert got.shape == (3, 3, 3)
    np.testing.assert_array_equal(got[1], 0)
    np.testing.assert_array_equal(got[2, :2], np.arange(6).reshape(2, 3))


def test_all_empty_loses_feature_axis_like_keras():
    assert pad_sequences([[], []], maxlen=2).shape == (2, 2)


def test_strict_where_keras_is_lax():
    with pytest.raises(ConfigError, match=r"`padding` must be one of \{'post', 'pre'\}\. Received: padding='Post'"):
        pad_sequences([[], []], padding="Post")  # Keras only checks inside its loop
    with pytest.raises(ConfigError, match=r"`maxlen` must be >= 0"):
        pad_sequences([[1]], maxlen=-2)
    np.testing.assert_array_equal(pad_sequences([[1, 2]], maxlen=0), np.zeros((1, 0)))
    assert pad_sequences([]).shape == (0, 0)
    with pytest.raises(ShapeError, match=r"`sequences\[1\]` has step shape \(3,\), expected \(2,\)"):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))], dtype="float32")


def test_float_data_into_int_dtype_warns_but_matches():
    with pytest.warns(SeqfeedWarning, match=r"sequences\[0\] holds non-integer values"):
        got = pad_sequences([[0.7, 1.2]])
    np.testing.assert_array_equal(got, [[0, 1]])


def test_object_dtype_strings():
    got = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert got.tolist() == [["a", "b"], ["<pad>", "c"]]


@st.composite
def keras_cases(draw):
    n = draw(st.integers(1, 7))
    step = draw(st.sampled_from([(), (2,), (1,), (2, 2)]))
    kind = draw(st.sampled_from(["int", "float", "list"]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        L = draw(st.integers(0, 9))
        a = rng.integers(-20, 20, size=(L,) + step)
        if kind == "float":
            a = a * 0.5
        seqs.append(a.tolist() if kind == "list" else a)
    if all(len(s) == 0 for s in seqs):
        step = ()
    kw = dict(
        maxlen=draw(st.one_of(st.none(), st.integers(1, 11))),
        dtype=draw(st.sampled_from(["int32", "float32", "float64", "int64"])),
        padding=draw(sides), truncating=draw(sides),
        value=draw(st.sampled_from([0.0, -1.0, 3.0, 0.5])),
    )
    if kw["maxlen"] is None and all(len(s) == 0 for s in seqs):
        kw["maxlen"] = 2
    return seqs, kw


@pytest.mark.tf
@given(keras_cases())
def test_conformance_with_keras(case):
    keras = pytest.importorskip("keras")
    seqs, kw = case
    want = keras.utils.pad_sequences(seqs, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeqfeedWarning)
        got = seqfeed.pad_sequences(seqs, **kw)
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_long_rows_path_matches_reference(padding, truncating):
    """Rows of >= 512 bytes take the row-copy kernel; compare with a plain NumPy reference."""
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(int(n), 8)).astype("float32") for n in rng.integers(20, 90, 30)] + [np.zeros((0, 8))]
    got = pad_sequences(seqs, maxlen=60, dtype="float32", padding=padding, truncating=truncating, value=-1.0)
    want = np.full((len(seqs), 60, 8), -1.0, dtype="float32")
    for i, s in enumerate(seqs):
        if not len(s):
            continue
        t = s[-60:] if truncating == "pre" else s[:60]
        if padding == "post":
            want[i, :len(t)] = t
        else:
            want[i, 60 - len(t):] = t
    np.testing.assert_array_equal(got, want)
