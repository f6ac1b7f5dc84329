import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seqfeed
from seqfeed import ConfigError, SequenceSet, ShapeError, pad
from seqfeed.core._copy import fill_padded

from strategies import as2d, ragged

sides = st.sampled_from(["pre", "post"])


def expected_rows(seqs, maxlen, truncating):
    rows = []
    for s in seqs:
        a = as2d(s)
        if maxlen is not None and len(a) > maxlen:
            a = a[len(a) - maxlen:] if truncating == "pre" else a[:maxlen]
        rows.append(a)
    return rows


@given(ragged(), sides, sides, st.one_of(st.none(), st.integers(0, 14)))
def test_pad_unpad_roundtrip_and_mask_from_lengths(seqs, padding, truncating, maxlen):
    b = pad(seqs, padding=padding, truncating=truncating, maxlen=maxlen, value=-7.0)
    rows = expected_rows(seqs, maxlen, truncating)
    T = max(len(s) for s in seqs) if maxlen is None else maxlen
    F = max(as2d(s).shape[1] for s in seqs)
    assert b.x.shape == (len(seqs), T, F) and b.x.dtype == np.float32
    assert b.lengths.tolist() == [len(r) for r in rows]
    pos = np.arange(T)[None, :]
    L = b.lengths[:, None]
    want_mask = pos < L if padding == "post" else pos >= T - L
    np.testing.assert_array_equal(b.mask, want_mask)
    np.testing.assert_array_equal(b.x[~b.mask], -7.0)  # padding is exactly `value`
    for got, want in zip(b.unpad(), rows):
        np.testing.assert_array_equal(got, want.astype(np.float32))
    back = b.to_sequence_set()
    np.testing.assert_array_equal(back.lengths, b.lengths)


def test_real_all_zero_step_stays_real():
    seqs = [np.array([[1.0], [0.0], [2.0]]), np.array([[0.0]])]
    b = pad(seqs)
    np.testing.assert_array_equal(b.mask, [[True, True, True], [True, False, False]])


@given(ragged(max_n=10, max_len=20), sides, sides, st.integers(0, 25),
       st.sampled_from(["float32", "float64", "int32", "int16"]))
def test_kernels_agree(seqs, padding, truncating, maxlen, dtype):
    s = SequenceSet.from_sequences(seqs)
    counts = np.minimum(s.lengths, maxlen)
    starts = s.offsets[:-1] + (s.lengths - counts if truncating == "pre" else 0)
    outs = []
    for kernel in ("rows", "scatter"):
        out = np.full((len(s), maxlen, s.n_features), 99, dtype=dtype)
        fill_padded(s.values, starts, counts, out, padding=padding, value=3, kernel=kernel)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])
    ref = pad(s, maxlen=maxlen, padding=padding, truncating=truncating, value=3, dtype=dtype).x
    np.testing.assert_array_equal(outs[0], ref)


def test_out_buffer_is_filled_and_reused(rng):
    a = [rng.normal(size=(n, 3)) for n in (5, 2, 4)]
    b = [rng.normal(size=(n, 3)) for n in (1, 3)]
    buf = np.empty(64 * 3, dtype=np.float32)
    r1 = pad(a, out=buf)
    assert np.shares_memory(r1.x, buf) and r1.x.shape == (3, 5, 3)
    np.testing.assert_array_equal(r1.x, pad(a).x)
    r2 = pad(b, out=buf)  # stale values from the first batch must not leak
    np.testing.assert_array_equal(r2.x, pad(b).x)
    exact = np.full((2, 3, 3), np.nan, dtype=np.float32)
    assert pad(b, out=exact).x is exact
    np.testing.assert_array_equal(exact, pad(b).x)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(padding="mid"), ConfigError, r"^pad: `padding` must be one of \{'post', 'pre'\}\. Received: padding='mid'\.$"),
    (dict(truncating="POST"), ConfigError, r"`truncating` must be one of \{'post', 'pre'\}\. Received: truncating='POST'"),
    (dict(maxlen=-1), ConfigError, r"`maxlen` must be >= 0\. Received: maxlen=-1"),
    (dict(maxlen=2.5), ConfigError, r"`maxlen` must be an integer >= 0 or None\. Received: maxlen=2\.5"),
    (dict(dtype="int32", value=0.5), ConfigError, r"`value`=0\.5 cannot be stored in dtype int32"),
    (dict(dtype="uint8", value=-1), ConfigError, r"outside the range of uint8 \(0\.\.255\)"),
    (dict(dtype="U5"), ConfigError, r"`dtype` must be a numeric dtype"),
    (dict(out=np.zeros((2, 2, 1), "f4")), ShapeError, r"`out` has shape \(2, 2, 1\); this batch is \(2, 3, 1\)"),
    (dict(out=np.zeros(5, "f4")), ShapeError, r"holds 5 elements; this batch needs 6 = 2 x 3 x 1"),
    (dict(out=np.zeros((2, 3, 1), "f8")), ConfigError, r"`out` has dtype float64 but dtype='float32'"),
])
def test_bad_options_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        pad([[1.0, 2.0, 3.0], [4.0]], **kwargs)


def test_options_checked_before_data():
    with pytest.raises(ConfigError, match="padding"):
        pad("not even sequences", padding="mid")


def test_inputs_not_mutated(rng):
    seqs = [rng.normal(size=(4, 2)), rng.normal(size=(2, 2))]
    copies = [s.copy() for s in seqs]
    b = pad(seqs, padding="pre", value=5.0)
    b.x[:] = 0
    for s, c in zip(seqs, copies):
        np.testing.assert_array_equal(s, c)
        assert s.flags.writeable


def test_dense_input_with_mask_side_detected():
    x = np.arange(8, dtype="f4").reshape(2, 4, 1)
    mask = np.array([[0, 0, 1, 1], [0, 1, 1, 1]], bool)
    b = pad(x, mask=mask)  # pre-padded input, re-padded post
    np.testing.assert_array_equal(b.x[..., 0], [[2, 3, 0], [5, 6, 7]])
    np.testing.assert_array_equal(b.lengths, [2, 3])


def test_step_targets_padded_with_weights():
    s = SequenceSet.from_sequences([np.ones((3, 1)), np.ones((1, 1))],
                                   step_targets=[np.array([1, 2, 3]), np.array([4])])
    b = pad(s)
    np.testing.assert_array_equal(b.y, [[1, 2, 3], [4, 0, 0]])
    np.testing.assert_array_equal(b.sample_weight, [[1, 1, 1], [1, 0, 0]])


def test_multiple_of_rounds_time_steps():
    b = pad([np.ones(5), np.ones(3)], multiple_of=4)
    assert b.x.shape == (2, 8, 1)
    np.testing.assert_array_equal(b.lengths, [5, 3])


def test_empty_sequence_gives_all_false_row():
    b = pad([np.ones(2), np.zeros(0)])
    np.testing.assert_array_equal(b.mask, [[True, True], [False, False]])


def test_int_dtype_output_from_floats_truncates_like_numpy():
    b = pad([np.array([1.7, -1.7])], dtype="int32")
    np.testing.assert_array_equal(b.x[0, :, 0], [1, -1])


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_list_rows_path_with_empty_and_truncated_sequences(padding):
    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(int(n), 8)) for n in (70, 0, 30, 90)]
    b = pad(seqs, maxlen=64, padding=padding, value=2.0)  # long rows: copied straight from the list
    ref = pad(SequenceSet.from_sequences(seqs), maxlen=64, padding=padding, value=2.0)
    np.testing.assert_array_equal(b.x, ref.x)
    np.testing.assert_array_equal(b.mask, ref.mask)
    np.testing.assert_array_equal(b.lengths, [64, 0, 30, 64])


@given(ragged(max_n=6, max_len=80, features=8), sides, sides, st.one_of(st.none(), st.integers(0, 90)))
def test_list_input_matches_ragged_input_for_long_rows(seqs, padding, truncating, maxlen):
    a = pad(seqs, padding=padding, truncating=truncating, maxlen=maxlen, value=-3.0)
    b = pad(SequenceSet.from_sequences(seqs), padding=padding, truncating=truncating, maxlen=maxlen, value=-3.0)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.mask, b.mask)
    np.testing.assert_array_equal(a.lengths, b.lengths)


def test_large_results_from_their_own_mapping_are_ordinary_arrays(monkeypatch):
    from seqfeed.core import _pad

    rng = np.random.default_rng(11)
    seqs = [rng.normal(size=(int(k), 3)).astype("float32") for k in rng.integers(0, 25, 40)]
    want_b, want_k = seqfeed.pad(seqs, padding="pre"), seqfeed.pad_sequences(seqs, dtype="float32")
    monkeypatch.setattr(_pad, "_MAPPED_FROM_BYTES", 1)  # every result from a mapping
    got_b, got_k = seqfeed.pad(seqs, padding="pre"), seqfeed.pad_sequences(seqs, dtype="float32")
    for got, want in ((got_b.x, want_b.x), (got_k, want_k)):
        assert got.tobytes() == want.tobytes() and got.shape == want.shape and got.dtype == want.dtype
        assert got.flags.c_contiguous and got.flags.writeable
        got[0] = 1.0  # writeable memory, not shared with anything else
    assert np.array_equal(got_b.mask, want_b.mask)
