import json
import os
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqfeed import Batch, ConfigError, DataError, SeqfeedWarning, SequenceSet, ShapeError, pad
from seqfeed.transforms import Standardizer, split_by_entity

from strategies import ragged


def make_set(seed=0, n=40, F=3):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(loc=[0, 5, -3][:F], scale=[1, 10, 0.1][:F], size=(int(rng.integers(2, 30)), F))
            for _ in range(n)]
    # a shift between entities so train-only statistics differ from all-data ones
    seqs = [s + (i % 7) for i, s in enumerate(seqs)]
    return SequenceSet.from_sequences(seqs, targets=np.arange(n) % 2, feature_names=["a", "b", "c"][:F])


def test_no_leakage_statistics_come_from_the_training_split_only():
    s = make_set()
    train, test = split_by_entity(s, test_fraction=0.3, seed=0)
    st_ = Standardizer().fit(train)
    by_hand = train.values.astype(np.float64)
    np.testing.assert_allclose(st_.mean_, by_hand.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(st_.std_, by_hand.std(axis=0), rtol=1e-12)
    assert st_.n_steps_ == train.n_steps
    everything = s.values.astype(np.float64)
    assert not np.allclose(st_.mean_, everything.mean(axis=0))
    z = st_.transform(test).values
    np.testing.assert_allclose(z, (test.values - by_hand.mean(0)) / by_hand.std(0), rtol=1e-6)


def test_padding_never_counts():
    s = make_set(1, n=10)
    b = pad(s, padding="pre", value=1e9)
    ref = Standardizer().fit(s)
    for data in (b, (b.x, b.mask)):
        got = Standardizer().fit(data)
        np.testing.assert_allclose(got.mean_, ref.mean_, rtol=1e-6)
        np.testing.assert_allclose(got.std_, ref.std_, rtol=1e-6)
    out = ref.transform(b)
    assert isinstance(out, Batch) and out.x is not b.x
    np.testing.assert_array_equal(out.x[~b.mask], 1e9)  # padding left as it was
    np.testing.assert_allclose(out.x[b.mask], ref.transform(s).values, rtol=1e-5, atol=1e-5)
    x2, m2 = ref.transform((b.x, b.mask))
    np.testing.assert_array_equal(x2, out.x)


def test_transform_returns_new_set_and_leaves_input_alone():
    s = make_set(2)
    before = s.values.copy()
    out = Standardizer().fit_transform(s)
    np.testing.assert_array_equal(s.values, before)
    assert out.values.dtype == s.values.dtype and not np.shares_memory(out.values, s.values)
    np.testing.assert_array_equal(out.offsets, s.offsets)
    np.testing.assert_array_equal(out.targets, s.targets)
    assert out.feature_names == ("a", "b", "c")
    np.testing.assert_allclose(out.values.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(out.values.std(0), 1, rtol=1e-9)


def test_int_input_becomes_float32_and_series_keep_their_shape():
    s = SequenceSet.from_sequences([np.array([1, 2, 3]), np.array([4, 5])])
    assert Standardizer().fit_transform(s).values.dtype == np.float32
    series = np.arange(6.0)
    z = Standardizer().fit_transform(series)
    assert z.shape == (6,) and z.dtype == np.float64
    np.testing.assert_allclose(z, (series - 2.5) / series.std())


def test_signed_log1p_before_standardising():
    x = np.array([-500.0, -0.5, 0.0, 0.01, 3.0, 460.0])
    st_ = Standardizer(transform="signed_log1p").fit(x)
    y = np.sign(x) * np.log1p(np.abs(x))
    np.testing.assert_allclose(st_.mean_, [y.mean()])
    np.testing.assert_allclose(st_.std_, [y.std()])
    np.testing.assert_allclose(st_.inverse_transform_values(st_.transform(x)[:, None]).ravel(), x, rtol=1e-12)


@given(ragged(max_n=6, max_len=10, min_len=1, dtype="float64", allow_1d=False), st.sampled_from([None, "signed_log1p"]),
       st.floats(1e-3, 1e4), st.floats(-100, 100))
def test_transform_then_inverse_roundtrip(seqs, transform, scale, shift):
    s = SequenceSet.from_sequences([a * scale + shift for a in seqs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeqfeedWarning)  # a single step is a constant feature
        st_ = Standardizer(transform=transform).fit(s)
    back = st_.inverse_transform_values(st_.transform(s).values)
    np.testing.assert_allclose(back, s.values, rtol=1e-5, atol=1e-5 * float(np.abs(s.values).max()))
    s32 = SequenceSet(s.values.astype("float32"), s.offsets)
    back32 = st_.inverse_transform_values(st_.transform(s32).values)
    assert back32.dtype == np.float32
    np.testing.assert_allclose(back32, s32.values, rtol=1e-5, atol=1e-5 * float(np.abs(s32.values).max()))


def test_inverse_for_selected_features():
    s = make_set(3)
    st_ = Standardizer().fit(s)
    z = st_.transform(s).values
    np.testing.assert_allclose(st_.inverse_transform_values(z[:, 1], feature="b"), s.values[:, 1])
    np.testing.assert_allclose(st_.inverse_transform_values(z[:, [2, 0]], feature=[2, "a"]), s.values[:, [2, 0]])
    np.testing.assert_allclose(st_.transform_values(s.values[:, [2, 0]], feature=["c", 0]), z[:, [2, 0]])
    forecasts = z[:12, 1].reshape(4, 3, 1)  # (n_windows, horizon, 1)
    np.testing.assert_allclose(st_.inverse_transform_values(forecasts, feature=[1]), s.values[:12, 1].reshape(4, 3, 1))
    with pytest.raises(ShapeError, match=r"`values` must have 3 features on its last axis\. Received shape \(5, 2\)"):
        st_.inverse_transform_values(np.zeros((5, 2)))
    with pytest.raises(ConfigError, match=r"`feature` names .zz., which is not a feature\. Feature names: \[.a., .b., .c.\]"):
        st_.inverse_transform_values(np.zeros(3), feature="zz")


def test_per_sequence_normalises_each_sequence_and_fits_nothing():
    s = make_set(4, n=6)
    st_ = Standardizer(method="per_sequence")
    out = st_.transform(s)  # no fit needed
    for i in range(len(s)):
        np.testing.assert_allclose(out[i].mean(0), 0, atol=1e-9)
        np.testing.assert_allclose(out[i].std(0), 1, rtol=1e-9)
    assert st_.fit(s).mean_ is None
    m, sd = st_.sequence_stats(s)
    assert m.shape == (6, 3)
    np.testing.assert_allclose(m[2], s[2].mean(0))
    back = st_.inverse_transform_values(out[2], stats=(m[2], sd[2]))
    np.testing.assert_allclose(back, s[2])
    with pytest.raises(ConfigError, match=r"method='per_sequence' keeps no statistics\. Fix: pass stats="):
        st_.inverse_transform_values(out[2])
    b = pad(s, value=-5.0, dtype="float64")
    outb = st_.transform(b)
    np.testing.assert_allclose(outb.x[b.mask], out.values, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(outb.x[~b.mask], -5.0)


def test_constant_feature_warns_with_its_name():
    values = np.stack([np.arange(6.0), np.full(6, 3.0)], axis=1)
    s = SequenceSet(values, [0, 4, 6], feature_names=["speed", "flat"])
    with pytest.warns(SeqfeedWarning, match=r"feature\(s\) 'flat' are constant \(std <= eps=1e-08\)"):
        st_ = Standardizer().fit(s)
    assert st_.std_[1] == 1.0
    np.testing.assert_array_equal(st_.transform(s).values[:, 1], 0.0)
    with pytest.warns(SeqfeedWarning, match=r"first: sequence 0, feature 'flat'"):
        Standardizer(method="per_sequence").transform(s)


def test_nan_is_located():
    seqs = [np.zeros((3, 2)), np.zeros((4, 2))]
    seqs[1][2, 1] = np.nan
    s = SequenceSet.from_sequences(seqs)
    with pytest.raises(DataError, match=r"^Standardizer\.fit: `data` holds NaN at sequence 1, step 2, feature 1\. "
                                        r"Fix: fill or drop"):
        Standardizer().fit(s)
    st_ = Standardizer().fit(SequenceSet.from_sequences([np.ones((2, 2)), np.zeros((2, 2))]))
    with pytest.raises(DataError, match=r"^Standardizer\.transform: `data` holds NaN at sequence 1, step 2"):
        st_.transform(s)
    x = np.arange(6.0).reshape(2, 3, 1)
    mask = np.array([[True, True, False], [True, False, False]])
    x[0, 2, 0] = np.nan  # padding: ignored
    Standardizer().fit((x, mask))
    x[1, 0, 0] = np.inf
    with pytest.raises(DataError, match=r"holds an infinite value at row 1, step 0, feature 0"):
        Standardizer().fit((x, mask))


def test_save_load_roundtrip_and_atomic(tmp_path):
    s = make_set(5)
    st_ = Standardizer(transform="signed_log1p").fit(s)
    path = tmp_path / "scaler.json"
    st_.save(path)
    assert os.listdir(tmp_path) == ["scaler.json"]  # no temporary file left behind
    d = json.loads(path.read_text())
    assert d["format"] == "seqfeed.Standardizer" and d["feature_names"] == ["a", "b", "c"]
    back = Standardizer.load(path)
    np.testing.assert_array_equal(back.mean_, st_.mean_)
    np.testing.assert_array_equal(back.std_, st_.std_)
    np.testing.assert_array_equal(back.transform(s).values, st_.transform(s).values)
    assert Standardizer.from_dict(st_.to_dict()).to_dict() == st_.to_dict()
    st_.save(str(path))  # overwrite in place
    assert os.listdir(tmp_path) == ["scaler.json"]


@pytest.mark.parametrize("d, pattern", [
    ({"format": "other"}, r"^Standardizer\.from_dict: not a saved Standardizer"),
    ({"format": "seqfeed.Standardizer", "version": 99}, r"unsupported version 99"),
    ({"format": "seqfeed.Standardizer", "version": 1, "method": "global", "n_features": 2, "mean": [0.0],
      "std": [1.0]}, r"`mean`/`std` must both be lists of n_features=2 numbers"),
    ({"format": "seqfeed.Standardizer", "version": 1, "method": "minmax"}, r"`method` must be one of"),
])
def test_from_dict_rejects_bad_input(d, pattern):
    with pytest.raises(ConfigError, match=pattern):
        Standardizer.from_dict(d)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(method="minmax"), r"^Standardizer: `method` must be one of \{'global', 'per_sequence'\}\. "
                            r"Received: method='minmax'\. Fix: "),
    (dict(transform="log"),
     r"^Standardizer: `transform` must be one of \{'signed_log1p'\}\. Received: transform='log'\. Fix: "),
    (dict(eps=-1.0), r"^Standardizer: `eps` must be a number with eps >= 0\. Received: eps=-1\.0\. Fix: "),
])
def test_bad_options(kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        Standardizer(**kwargs)


def test_misuse_is_explained():
    s = make_set(6)
    with pytest.raises(ConfigError, match=r"^Standardizer\.transform: this Standardizer is not fitted yet\. "
                                          r"Fix: call \.fit\(train\) first"):
        Standardizer().transform(s)
    st_ = Standardizer().fit(s)
    with pytest.raises(ShapeError, match=r"the data has 2 features; the Standardizer was fitted on 3"):
        st_.transform(np.zeros((4, 2)))
    with pytest.raises(ShapeError, match=r"`x` must be 3-D"):
        st_.fit((np.zeros((4, 3)), np.ones(4, bool)))
    with pytest.raises(ConfigError, match=r"no real steps to fit on"):
        Standardizer().fit(SequenceSet(np.zeros((0, 3)), [0, 0]))
