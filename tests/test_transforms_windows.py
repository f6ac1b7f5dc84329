import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqfeed import ConfigError, SeqfeedError, SequenceSet, ShapeError
from seqfeed.transforms import Windows, sliding_windows, timeseries_windows

from strategies import ragged


# ---------------------------------------------------------------------------------------------
# timeseries_windows (Keras-exact)
# ---------------------------------------------------------------------------------------------
def keras_reference(data, targets, L, stride=1, rate=1, start=None, end=None):
    """REFERENCE.md semantics, one window at a time."""
    s = start or 0
    e = len(data) if end is None else end
    n = (e - s) - (L - 1) * rate
    if targets is not None:
        n = min(n, len(targets))
    starts = range(0, max(n, 0), stride)
    xs = [data[s + p + np.arange(L) * rate] for p in starts]
    if targets is None:
        return xs, None
    if any(s + p >= len(targets) for p in starts):
        return xs, "error"  # Keras fails with an out-of-range gather
    return xs, [targets[s + p] for p in starts]


def test_reference_example_99_points():
    X, y = timeseries_windows(np.arange(99), None, 10, sampling_rate=2, sequence_stride=3)
    assert y is None
    assert X.shape == (27, 10)
    np.testing.assert_array_equal(X[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(X[1], np.arange(3, 23, 2))
    np.testing.assert_array_equal(X[-1], [78, 80, 82, 84, 86, 88, 90, 92, 94, 96])


def test_windows_are_readonly_views_of_data():
    data = np.arange(40.0).reshape(20, 2)
    targets = np.arange(20) * 10
    X, y = timeseries_windows(data, targets, 4, sequence_stride=2)
    assert np.shares_memory(X, data) and np.shares_memory(y, targets)
    assert not X.flags.writeable and not y.flags.writeable
    assert data.flags.writeable and targets.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0, 0] = 1.0
    np.testing.assert_array_equal(X.copy()[2], data[4:8])
    np.testing.assert_array_equal(y, targets[0:17:2])


def test_target_pairs_with_first_step_and_next_step_pattern():
    data = np.arange(12.0)
    L = 3
    X, y = timeseries_windows(data[:-1], data[L:], L)
    assert X.shape == (9, 3)
    np.testing.assert_array_equal(X[0], [0, 1, 2])
    np.testing.assert_array_equal(X[-1], [8, 9, 10])
    np.testing.assert_array_equal(y, data[L:])  # target of window [p, p+1, p+2] is p+3
    # the Keras docs' pattern data[:-L] loses the last L - 1 windows
    assert timeseries_windows(data[:-L], data[L:], L)[0].shape == (7, 3)


@pytest.mark.parametrize("shape", [(5,), (5, 3), (5, 2, 2)])
def test_no_window_gives_empty_arrays_with_trailing_shape(shape):
    data = np.zeros(shape, dtype="float32")
    X, y = timeseries_windows(data, np.zeros((5, 4)), 10)
    assert X.shape == (0, 10) + shape[1:] and X.dtype == np.float32
    assert y.shape == (0, 4)


def test_short_targets_cap_the_number_of_windows():
    X, y = timeseries_windows(np.arange(20), np.arange(5) * 2, 3)
    assert X.shape == (5, 3)
    np.testing.assert_array_equal(y, [0, 2, 4, 6, 8])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool", "uint8"])
def test_dtype_of_data_and_targets_kept(dtype):
    X, y = timeseries_windows(np.ones(6, dtype), np.ones(6, "int16"), 2)
    assert X.dtype == np.dtype(dtype) and y.dtype == np.int16


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(sequence_length=0), ConfigError,
     r"^timeseries_windows: `sequence_length` must be >= 1\. Received: sequence_length=0\. Fix: "),
    (dict(sequence_stride=0), ConfigError, r"^timeseries_windows: `sequence_stride` must be >= 1\."),
    (dict(sampling_rate=0), ConfigError, r"^timeseries_windows: `sampling_rate` must be >= 1\."),
    (dict(sampling_rate=1.5), ConfigError, r"`sampling_rate` must be an integer >= 1\. Received: sampling_rate=1\.5"),
    (dict(start_index=-1), ConfigError, r"^timeseries_windows: `start_index` must be >= 0\."),
    (dict(start_index=10), ConfigError,
     r"^timeseries_windows: `start_index` must be lower than the length of the data\. Received: start_index=10, "
     r"for data of length 10\. Fix: "),
    (dict(end_index=10), ConfigError,
     r"^timeseries_windows: `end_index` must be lower than the length of the data\. Received: end_index=10, "
     r"for data of length 10\. Fix: pass None for 'to the end'$"),
    (dict(start_index=4, end_index=4), ConfigError,
     r"^timeseries_windows: `end_index` must be greater than `start_index`\. Received: start_index=4, end_index=4\."),
    (dict(end_index=0), ConfigError, r"`end_index` must be greater than `start_index`\. Received: start_index=0"),
])
def test_bad_arguments_are_named(kwargs, error, pattern):
    args = dict(sequence_length=3)
    args.update(kwargs)
    L = args.pop("sequence_length")
    with pytest.raises(error, match=pattern):
        timeseries_windows(np.arange(10.0), None, L, **args)


def test_targets_too_short_after_start_index_is_an_error_not_garbage():
    # Keras fails on this input too (out-of-range gather while iterating)
    with pytest.raises(ShapeError, match=r"^timeseries_windows: window 1 starts at step 5 and needs targets\[5\], "
                                         r"but `targets` has 5 entries"):
        timeseries_windows(np.arange(20.0), np.arange(5.0), 3, start_index=4)


def test_options_checked_before_data():
    with pytest.raises(ConfigError, match="sequence_length"):
        timeseries_windows("not data", None, 0)


@given(st.data())
def test_matches_reference_semantics(data):
    N = data.draw(st.integers(0, 30))
    step = data.draw(st.sampled_from([(), (2,), (1, 3)]))
    arr = np.arange(N * int(np.prod(step)), dtype="float32").reshape((N,) + step)
    L = data.draw(st.integers(1, 8))
    stride = data.draw(st.integers(1, 6))
    rate = data.draw(st.integers(1, 4))
    start = data.draw(st.one_of(st.none(), st.integers(0, max(N - 1, 0)))) if N else None
    end = data.draw(st.one_of(st.none(), st.integers((start or 0) + 1, N - 1))) if N - (start or 0) > 1 else None
    targets = data.draw(st.one_of(st.none(), st.integers(0, N + 3)))
    t = None if targets is None else np.arange(targets) * 10
    xs, ys = keras_reference(arr, t, L, stride, rate, start, end)
    try:
        X, y = timeseries_windows(arr, t, L, sequence_stride=stride, sampling_rate=rate, start_index=start,
                                  end_index=end)
    except ShapeError:
        assert ys == "error"
        return
    assert ys != "error"
    assert X.shape == (len(xs), L) + step
    for a, b in zip(X, xs):
        np.testing.assert_array_equal(a, b)
    if t is None:
        assert y is None
    else:
        np.testing.assert_array_equal(y, ys)


@st.composite
def keras_cases(draw):
    N = draw(st.integers(2, 40))
    step = draw(st.sampled_from([(), (3,), (2, 2)]))
    dtype = draw(st.sampled_from(["float32", "float64", "int32", "int64"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    data = (rng.normal(size=(N,) + step) * 10).astype(dtype)
    kw = dict(
        sequence_stride=draw(st.integers(1, min(5, N - 1))),
        sampling_rate=draw(st.integers(1, min(4, N - 1))),
        start_index=draw(st.one_of(st.none(), st.integers(0, N - 1))),
    )
    s = kw["start_index"] or 0
    kw["end_index"] = draw(st.one_of(st.none(), st.integers(s + 1, N + 1))) if s + 1 <= N + 1 else None
    if kw["end_index"] == 0:
        kw["end_index"] = None
    L = draw(st.integers(1, 12))
    kind = draw(st.sampled_from(["none", "full", "short"]))
    targets = None
    if kind != "none":
        M = N if kind == "full" else draw(st.integers(0, N))
        targets = rng.integers(0, 5, size=(M,) + draw(st.sampled_from([(), (2,)]))).astype("int64")
    return data, targets, L, kw


def keras_windows(keras, data, targets, L, kw):
    ds = keras.utils.timeseries_dataset_from_array(data, targets, L, shuffle=False, batch_size=16, **kw)
    xs, ys = [], []
    for b in ds:
        if targets is None:
            xs.append(np.asarray(b))
        else:
            xs.append(np.asarray(b[0]))
            ys.append(np.asarray(b[1]))
    return xs, ys


@pytest.mark.tf
@settings(max_examples=40)
@given(keras_cases())
def test_conformance_with_keras(case):
    keras = pytest.importorskip("keras")
    data, targets, L, kw = case
    try:
        xs, ys = keras_windows(keras, data, targets, L, kw)
    except Exception:  # Keras rejects it (ValueError up front or an out-of-range gather)
        with pytest.raises(SeqfeedError):
            timeseries_windows(data, targets, L, **kw)
        return
    X, y = timeseries_windows(data, targets, L, **kw)
    if not xs:
        assert X.shape[0] == 0 and X.shape[1:] == (L,) + data.shape[1:]
        return
    want = np.concatenate(xs)
    assert X.dtype == want.dtype and X.shape == want.shape
    np.testing.assert_array_equal(X, want)
    if targets is None:
        assert y is None
    else:
        want_y = np.concatenate(ys)
        assert y.dtype == want_y.dtype
        np.testing.assert_array_equal(y, want_y)


# ---------------------------------------------------------------------------------------------
# sliding_windows
# ---------------------------------------------------------------------------------------------
def naive_windows(seqs, L, stride, rate, horizon, target, drop_incomplete):
    """One window at a time: (source, start, steps, y)."""
    out = []
    need = max(horizon, 1) if target == "next" else 0
    for i, s in enumerate(seqs):
        T = len(s)
        for p in range(0, T, stride):
            idx = [p + k * rate for k in range(L)]
            idx = [q for q in idx if q + need <= T - 1]
            if not idx or (drop_incomplete and len(idx) < L):
                continue
            last = idx[-1]
            y = s[last + 1:last + 1 + need] if target == "next" else None
            out.append((i, p, s[idx], y))
    return out


@given(ragged(max_n=5, max_len=15), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 3), st.sampled_from(["next", None]), st.booleans())
def test_sliding_matches_naive_and_never_crosses_sequences(seqs, L, stride, rate, horizon, target, drop):
    s = SequenceSet.from_sequences(seqs)
    if target is None:
        horizon = 0
    w = sliding_windows(s, L, stride=stride, sampling_rate=rate, horizon=horizon, target=target,
                        drop_incomplete=drop)
    ref = naive_windows(list(s), L, stride, rate, horizon, target, drop)
    assert len(w) == len(ref)
    assert w.source.tolist() == [r[0] for r in ref]
    assert w.start.tolist() == [r[1] for r in ref]
    b = w.batch(dtype="float64")
    assert b.x.shape == (len(ref), L, s.n_features)
    for j, (_, _, steps, yy) in enumerate(ref):
        n = len(steps)
        assert w.lengths[j] == n and b.mask[j].sum() == n
        np.testing.assert_array_equal(w[j], steps)
        np.testing.assert_array_equal(b.x[j, :n], steps)
        np.testing.assert_array_equal(b.x[j, n:], 0)
        if target == "next":
            np.testing.assert_array_equal(b.y[j], yy if horizon else yy[0])
    np.testing.assert_array_equal(w.x[w.mask], b.x[b.mask])
    np.testing.assert_array_equal(b.index, np.arange(len(w)))


@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 5))
def test_single_series_next_step_equals_keras_pattern(T, L, stride):
    data = np.arange(T, dtype="float64") * 1.5
    w = sliding_windows(data, L, stride=stride)
    X, y = timeseries_windows(data[:-1], data[L:], L, sequence_stride=stride) if T > 1 else (
        np.zeros((0, L)), np.zeros(0))
    np.testing.assert_array_equal(w.x[..., 0], X)
    np.testing.assert_array_equal(w.y[..., 0], y)


def test_lone_series_x_is_a_zero_copy_readonly_view():
    data = np.arange(30.0).reshape(15, 2)
    w = sliding_windows(data, 4, stride=3, target=None)
    assert w.x.shape == (4, 4, 2)
    assert np.shares_memory(w.x, data) and not w.x.flags.writeable and data.flags.writeable
    np.testing.assert_array_equal(w.x[1], data[3:7])
    assert np.shares_memory(w[2], data) and not w[2].flags.writeable


def test_horizon_block_and_target_features():
    values = np.stack([np.arange(10.0), -np.arange(10.0), np.arange(10.0) * 100], axis=1)
    s = SequenceSet(values, [0, 6, 10], feature_names=["a", "b", "c"])
    w = sliding_windows(s, 2, horizon=3, target_features=["c", 0])
    assert w.y.shape == (len(w), 3, 2)
    assert w.source.tolist() == [0, 0] and w.start.tolist() == [0, 1]  # sequence 1 (4 steps) is too short
    np.testing.assert_array_equal(w.y[0], [[200, 2], [300, 3], [400, 4]])
    np.testing.assert_array_equal(w.target_start, [2, 3])
    w0 = sliding_windows(s, 2, target_features=1)
    assert w0.y.shape == (len(w0), 1)
    np.testing.assert_array_equal(w0.y[:, 0], -(w0.global_start + 2))


def test_sequence_target_is_inherited_and_maps_back():
    s = SequenceSet.from_sequences([np.arange(5.0), np.arange(3.0)], targets=["x", "y"], ids=[10, 20])
    w = sliding_windows(s, 2, target="sequence")
    assert w.y.tolist() == ["x"] * 4 + ["y"] * 2
    assert w.ids.tolist() == [10] * 4 + [20] * 2
    b = w.batch([5, 0])
    assert b.x.dtype == np.float32 and b.mask.all()
    assert b.y.tolist() == ["y", "x"] and b.index.tolist() == [5, 0]
    assert w.source[b.index].tolist() == [1, 0] and w.start[b.index].tolist() == [1, 0]
    sub = w.take(w.source == 1)
    assert isinstance(sub, Windows) and len(sub) == 2 and sub.start.tolist() == [0, 1]


def test_inputs_not_mutated():
    seqs = [np.arange(6.0), np.arange(4.0)]
    s = SequenceSet.from_sequences(seqs)
    before = s.values.copy()
    b = sliding_windows(s, 2, horizon=1).batch()
    b.x[:] = -1
    np.testing.assert_array_equal(s.values, before)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(length=0), ConfigError, r"^sliding_windows: `length` must be >= 1\. Received: length=0\. Fix: "),
    (dict(stride=0), ConfigError, r"^sliding_windows: `stride` must be >= 1\."),
    (dict(target="prev"), ConfigError,
     r"^sliding_windows: `target` must be one of \{'next', 'sequence'\}\. Received: target='prev'\. Fix: "),
    (dict(target=None, horizon=2), ConfigError, r"^sliding_windows: `horizon` applies to target='next'"),
    (dict(horizon=-1), ConfigError, r"`horizon` must be >= 0"),
    (dict(target_features=5), ConfigError, r"`target_features` entry 5 is not a feature index in 0\.\.1"),
    (dict(target_features="z"), ConfigError, r"`target_features` names 'z', which is not a feature"),
    (dict(target="sequence"), ConfigError, r"target='sequence' needs a set with `targets`"),
    (dict(drop_incomplete="yes"), ConfigError, r"`drop_incomplete` must be True or False"),
])
def test_bad_options_are_named(kwargs, error, pattern):
    args = dict(length=2)
    args.update(kwargs)
    s = SequenceSet.from_sequences([np.zeros((5, 2))])
    with pytest.raises(error, match=pattern):
        sliding_windows(s, args.pop("length"), **args)


@pytest.mark.parametrize("data, error, pattern", [
    (np.zeros((2, 5, 1)), ShapeError, r"must be one series of shape \(T,\) or \(T, F\)\. Received shape \(2, 5, 1\)"
                                      r".*SequenceSet\.from_padded"),
    ([[1.0, 2.0], [3.0, 4.0]], ConfigError, r"is a nested list.*SequenceSet\.from_sequences"),
    ({"a": 1}, ConfigError, r"must be a SequenceSet or a NumPy array"),
])
def test_bad_inputs_are_explained(data, error, pattern):
    with pytest.raises(error, match=pattern):
        sliding_windows(data, 2)


def test_many_short_sequences_vectorised():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(int(n), 3)).astype("f4") for n in rng.integers(1, 60, size=3000)]
    s = SequenceSet.from_sequences(seqs)
    w = sliding_windows(s, 8, stride=2, horizon=4)
    assert np.all(w.start + 7 + 4 < s.lengths[w.source])
    b = w.batch(np.arange(0, len(w), 97))
    np.testing.assert_array_equal(b.x[3], s[int(w.source[b.index[3]])][w.start[b.index[3]]:][:8])
