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


def _compiled_or_skip():
    from seqfeed.core import _kernels

    if _kernels._compiled() is None or _kernels._compiled()["layout"] is None:
        pytest.skip("numba not installed (the compiled list path is not used)")
    return _kernels


@pytest.mark.tf
@given(keras_cases())
def test_conformance_with_keras_on_the_compiled_list_path(case):
    keras = pytest.importorskip("keras")
    _compiled_or_skip()
    seqs, kw = case
    if kw["dtype"] == "int64":
        seqs = [np.asarray(s, dtype=np.int64) if not isinstance(s, list) else s for s in seqs]
    want = keras.utils.pad_sequences(seqs, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeqfeedWarning)
        got = seqfeed.pad_sequences(seqs, **kw)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@given(st.lists(st.integers(0, 12), min_size=1, max_size=15), st.sampled_from(["int32", "float32", "uint8"]),
       st.sampled_from([(), (3,)]), st.sampled_from([None, 0, 1, 5]), sides, sides, st.sampled_from([0, 2, -1]))
def test_compiled_list_path_equals_the_general_path(lengths, dtype, step, maxlen, padding, truncating, value):
    _kernels = _compiled_or_skip()
    if dtype == "uint8" and value < 0:
        value = 7
    rng = np.random.default_rng(sum(lengths))
    arrays = [(rng.normal(size=(n,) + step) * 20).astype(dtype) for n in lengths]
    if not any(lengths):
        return  # every sequence empty: Keras' shape rules, not this path
    kw = dict(maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value)
    assert _kernels.array_list_lengths(arrays, np.dtype(dtype), step) is not None  # the compiled path applies
    fast = seqfeed.pad_sequences(arrays, **kw)
    general = seqfeed.pad_sequences([a.tolist() for a in arrays], **kw)
    assert fast.dtype == general.dtype and fast.shape == general.shape
    assert fast.tobytes() == general.tobytes()


@pytest.mark.parametrize("odd_one", ["strided", "subclass", "other_dtype", "big_endian", "other_step", "list"])
def test_lists_the_compiled_path_cannot_read_give_the_same_result(odd_one):
    _compiled_or_skip()
    rng = np.random.default_rng(7)
    arrays = [rng.integers(0, 50, size=(int(k), 2)).astype("int32") for k in rng.integers(1, 9, 12)]
    odd = np.arange(16, dtype="int32").reshape(8, 2)
    arrays[5] = {"strided": odd[::2], "subclass": np.ma.masked_array(odd), "other_dtype": odd.astype("int16"),
                 "big_endian": odd.astype(">i4"), "other_step": np.arange(9, dtype="int32").reshape(3, 3),
                 "list": odd.tolist()}[odd_one]
    kw = dict(maxlen=6, padding="post", truncating="pre")
    if odd_one == "other_step":
        with pytest.raises(ShapeError, match=r"sequences\[5\]"):
            seqfeed.pad_sequences(arrays, **kw)
        return
    got = seqfeed.pad_sequences(arrays, **kw)
    want = seqfeed.pad_sequences([np.asarray(a).tolist() for a in arrays], **kw)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    kept = np.asarray(arrays[5])[-6:]
    assert got[5, :len(kept)].tolist() == kept.astype("int64").tolist() and not got[5, len(kept):].any()


def test_pad_of_a_list_of_arrays_matches_pad_of_the_set():
    _compiled_or_skip()
    rng = np.random.default_rng(8)
    arrays = [rng.normal(size=(int(k), 3)).astype("float32") for k in rng.integers(0, 20, 30)]
    for kw in (dict(), dict(padding="pre", value=-2.0), dict(maxlen=7, truncating="post"), dict(multiple_of=8)):
        a = seqfeed.pad(arrays, **kw)
        b = seqfeed.pad(seqfeed.SequenceSet.from_sequences(arrays), **kw)
        assert a.x.tobytes() == b.x.tobytes() and a.x.shape == b.x.shape
        assert np.array_equal(a.mask, b.mask) and np.array_equal(a.lengths, b.lengths)


def _run(seqs, kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = seqfeed.pad_sequences(seqs, **kw)
        except seqfeed.SeqfeedError as e:
            return ("error", type(e).__name__, e.index), [str(m.message) for m in w]
    return (out.dtype, out.shape, out.tobytes()), [str(m.message) for m in w]


item = st.one_of(st.integers(-300, 300), st.floats(-300, 300, allow_nan=False).map(lambda v: round(v, 1)),
                 st.booleans())


@given(st.lists(st.lists(item, max_size=8), min_size=1, max_size=8), st.sampled_from(["int32", "float32", "uint8",
                                                                                      "int64", "bool"]),
       st.sampled_from([None, 1, 3, 10]), sides, sides, st.sampled_from([0, 0.5, -1, 2]))
def test_python_token_lists_take_one_pass_with_the_general_paths_result(seqs, dtype, maxlen, padding, truncating,
                                                                       value):
    kw = dict(maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value)
    if dtype in ("uint8", "bool") and value == -1:
        kw["value"] = 1
    fast = _run(seqs, kw)  # lists: the one-pass path
    general = _run([tuple(s) for s in seqs], kw)  # tuples: the per-sequence path
    assert fast == general


@pytest.mark.parametrize("bad, error", [([[1, 2], [3, None]], "DataError"), ([[1, 2], [[3, 4]]], "ShapeError"),
                                        ([[1, 2], [2**40]], "DataError"), ([[1, 2], ["x"]], "DataError")])
def test_python_token_lists_with_bad_values_are_reported_like_the_general_path(bad, error):
    got = _run(bad, dict(padding="post"))
    assert got == _run([tuple(s) for s in bad], dict(padding="post"))
    assert got[0][:2] == ("error", error) and got[0][2] == 1


def test_python_token_lists_truncated_values_are_never_checked():
    # the value the truncation drops is not converted by Keras either
    assert pad_sequences([[None, 1, 2], [3]], maxlen=2).tolist() == [[1, 2], [0, 3]]


@pytest.mark.parametrize("maxlen", [0, None])
def test_ragged_steps_are_refused_even_when_maxlen_keeps_no_step(maxlen):
    """maxlen=0 copies no step, yet a later sequence with ragged steps is still bad input (fuzzing found
    it accepted)."""
    seqs = [np.array([[1.25, -1.5]], dtype=np.float32), [[1.0, 1.0], [1.0, 1.0, 1.0]]]
    with pytest.raises(seqfeed.DataError) as e:
        seqfeed.pad_sequences(seqs, maxlen=maxlen, dtype="int32")
    assert e.value.index == 1 and "`sequences[1]`" in str(e.value) and e.value.fix
    with pytest.raises(seqfeed.ShapeError) as e:
        seqfeed.pad_sequences([np.ones((2, 2)), np.ones((1, 3))], maxlen=0)
    assert e.value.index == 1
    assert seqfeed.pad_sequences([np.ones((2, 2)), np.ones((1, 2))], maxlen=0).shape == (2, 0, 2)
