"""seqfeed.baselines: DTW (both engines), nearest neighbours, summary features, ridge, forecasts, the choice."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqfeed import ConfigError, DataError, SeqfeedError, SequenceSet, ShapeError
from seqfeed import _dtw
from seqfeed import baselines as B

ENGINES = ["numpy"] + (["numba"] if _dtw.have_numba() else [])
needs_numba = pytest.mark.skipif(not _dtw.have_numba(), reason="numba is not installed (pip install seqfeed[fast])")

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def seq_pair(draw, equal=False, max_len=10):
    F = draw(st.integers(1, 3))
    la = draw(st.integers(1, max_len))
    lb = la if equal else draw(st.integers(1, max_len))
    a = np.array(draw(st.lists(finite, min_size=la * F, max_size=la * F)), dtype=np.float64).reshape(la, F)
    b = np.array(draw(st.lists(finite, min_size=lb * F, max_size=lb * F)), dtype=np.float64).reshape(lb, F)
    return a, b


def reference_dtw(a, b, window):
    """Textbook dynamic programme over the band of `_dtw.band` (no shortcuts)."""
    la, lb = len(a), len(b)
    allowed = _dtw.band(la, lb, _dtw.radius(window, la, lb))
    D = np.full((la + 1, lb + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(la):
        for j in range(lb):
            if allowed[i, j]:
                D[i + 1, j + 1] = np.sum((a[i] - b[j]) ** 2) + min(D[i, j], D[i, j + 1], D[i + 1, j])
    return D[la, lb]


def labelled(seqs, labels):
    return SequenceSet.from_sequences([np.asarray(s, dtype=np.float64) for s in seqs], targets=np.asarray(labels))


# ----------------------------------------------------------------------------- band and DTW
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 6))
@settings(max_examples=60)
def test_band_is_a_connected_symmetric_path_region(la, lb, r):
    m = _dtw.band(la, lb, r)
    assert m[0, 0] and m[-1, -1]
    assert np.array_equal(m, _dtw.band(lb, la, r).T)
    assert m.any(axis=1).all() and m.any(axis=0).all()  # every step of both is matched somewhere
    if la == lb:
        i, j = np.indices((la, lb))
        assert np.array_equal(m, np.abs(i - j) <= r)  # plain Sakoe-Chiba band


@pytest.mark.parametrize("engine", ENGINES)
@given(pair=seq_pair(), window=st.sampled_from([0.0, 0.1, 0.3, 1.0]))
@settings(max_examples=40)
def test_dtw_matches_the_textbook_programme(engine, pair, window):
    a, b = pair
    expected = reference_dtw(a, b, window)
    assert np.isfinite(expected)
    assert B.dtw_distance(a, b, window=window, engine=engine) == pytest.approx(expected, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
@given(pair=seq_pair(equal=True))
@settings(max_examples=40)
def test_dtw_with_window_zero_is_squared_euclidean_for_equal_lengths(engine, pair):
    a, b = pair
    assert B.dtw_distance(a, b, window=0.0, engine=engine) == pytest.approx(np.sum((a - b) ** 2), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
@given(pair=seq_pair(), window=st.sampled_from([0.0, 0.2, 1.0]))
@settings(max_examples=40)
def test_dtw_is_symmetric_nonnegative_and_zero_on_identical(engine, pair, window):
    a, b = pair
    d = B.dtw_distance(a, b, window=window, engine=engine)
    assert d >= 0
    assert d == B.dtw_distance(b, a, window=window, engine=engine)
    assert B.dtw_distance(a, a.copy(), window=window, engine=engine) == 0.0
    # a wider window can only lower the distance
    assert B.dtw_distance(a, b, window=1.0, engine=engine) <= d + 1e-9


@needs_numba
@given(n=st.integers(1, 5), m=st.integers(1, 5), equal=st.booleans(), seed=st.integers(0, 2**16))
@settings(max_examples=30)
def test_numba_and_numpy_engines_agree(n, m, equal, seed):
    rng = np.random.default_rng(seed)
    F = int(rng.integers(1, 3))
    lens = (lambda k: np.full(k, 9)) if equal else (lambda k: rng.integers(1, 15, k))
    x = SequenceSet.from_sequences([rng.normal(size=(int(L), F)) for L in lens(n)])
    y = SequenceSet.from_sequences([rng.normal(size=(int(L), F)) for L in lens(m)],
                                   targets=rng.integers(0, 3, m))
    d_numba = B.dtw_distances(x, y, window=0.2, engine="numba")
    d_numpy = B.dtw_distances(x, y, window=0.2, engine="numpy")
    np.testing.assert_allclose(d_numba, d_numpy, rtol=1e-12, atol=1e-9)
    # the pruned search (LB_Keogh order, early abandoning) finds the exhaustive nearest neighbours
    fast = B.nn_dtw(y, x, window=0.2, engine="numba")
    slow = B.nn_dtw(y, x, window=0.2, engine="numpy")
    np.testing.assert_array_equal(fast.info["index"], slow.info["index"])
    np.testing.assert_array_equal(fast.info["index"], np.argmin(d_numpy, axis=1))


@given(seed=st.integers(0, 2**16), r=st.integers(0, 4))
@settings(max_examples=30)
def test_lb_keogh_never_exceeds_dtw(seed, r):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(3, 12, 2)), rng.normal(size=(4, 12, 2))
    lb = _dtw.lb_keogh_matrix(x, y, r)
    for i in range(3):
        for j in range(4):
            assert 0 <= lb[i, j] <= _dtw.pair_distance(x[i], y[j], r, "numpy") + 1e-9


# ----------------------------------------------------------------------------- nearest neighbours
@pytest.mark.parametrize("method", ["nn_euclidean", "nn_dtw", "nn_summary"])
@given(seed=st.integers(0, 2**16), n=st.integers(2, 8), variable=st.booleans())
@settings(max_examples=25)
def test_one_nn_on_the_training_set_predicts_the_training_labels(method, seed, n, variable):
    rng = np.random.default_rng(seed)
    lens = rng.integers(3, 12, n) if variable else np.full(n, 8)
    # distinct sequences: each has its own level and random shape
    seqs = [rng.normal(size=(int(L), 2)) + 10.0 * k for k, L in enumerate(lens)]
    labels = rng.integers(0, 3, n).astype(str)
    train = labelled(seqs, labels)
    res = getattr(B, method)(train, train)
    np.testing.assert_array_equal(res.predictions, labels)
    np.testing.assert_array_equal(res.info["index"], np.arange(n))
    assert res.metrics == {"accuracy": 1.0}
    assert res.task == "classify" and res.name == method


def test_nn_euclidean_padding_and_resampling_are_as_documented():
    train = labelled([[0.0, 1.0, 2.0], [5.0, 5.0, 5.0, 5.0, 5.0]], ["ramp", "flat"])
    # the ramp extended with its last value is the ramp under "pad"
    padded = labelled([[0.0, 1.0, 2.0, 2.0, 2.0]], ["ramp"])
    res = B.nn_euclidean(train, padded, align="pad")
    assert res.predictions.tolist() == ["ramp"] and res.info["length"] == 5
    # the ramp sampled twice as densely is the ramp under "resample" (distance 0)
    dense = labelled([[0.0, 0.5, 1.0, 1.5, 2.0]], ["ramp"])
    assert B.nn_euclidean(train, dense, align="resample").predictions.tolist() == ["ramp"]
    A, Bm = B._align("t", (dense, train), 5, "resample")
    np.testing.assert_allclose(A[0, :, 0], Bm[0, :, 0])


def test_nn_dtw_ignores_a_time_shift_that_fools_euclidean():
    t = np.arange(40)
    bump = lambda c: np.exp(-0.5 * ((t - c) / 2.0) ** 2)  # noqa: E731
    train = labelled([bump(10), bump(30) * 0 + np.sin(t / 3.0)], ["bump", "wave"])
    test = labelled([bump(13)], ["bump"])
    assert B.nn_dtw(train, test, window=0.2).predictions.tolist() == ["bump"]
    assert B.nn_dtw(train, test, window=0.2).metrics["accuracy"] == 1.0


def test_nearest_neighbour_regression_returns_the_neighbours_target():
    train = SequenceSet.from_sequences([[0.0, 0.0], [9.0, 9.0]], targets=np.array([1.5, -2.0]))
    test = SequenceSet.from_sequences([[8.0, 9.5]], targets=np.array([-2.5]))
    res = B.nn_dtw(train, test)
    assert res.task == "regress" and res.predictions.tolist() == [-2.0]
    assert res.metrics == {"rmse": pytest.approx(0.5), "mae": pytest.approx(0.5)}


# ----------------------------------------------------------------------------- summary features and regression
def test_summary_features_values():
    s = SequenceSet.from_sequences([[1.0, -3.0, 2.0, 4.0], [2.0]], feature_names=["x"])
    X, names = B.summary_features(s)
    row = dict(zip(names, X[0]))
    v = np.array([1.0, -3.0, 2.0, 4.0])
    assert row["x:mean"] == pytest.approx(1.0) and row["x:std"] == pytest.approx(v.std())
    assert row["x:min"] == -3.0 and row["x:max"] == 4.0
    assert row["x:slope"] == pytest.approx(np.polyfit(np.linspace(0, 1, 4), v, 1)[0])
    assert row["x:logamp_mean"] == pytest.approx(np.log1p(np.abs(v)).mean())
    assert row["x:logamp_max"] == pytest.approx(np.log1p(4.0))
    assert row["log_length"] == pytest.approx(np.log(4))
    one = dict(zip(names, X[1]))
    assert one["x:slope"] == 0.0 and one["x:std"] == 0.0 and one["log_length"] == 0.0


@given(seed=st.integers(0, 2**16), n=st.integers(30, 60))
@settings(max_examples=15)
def test_ridge_recovers_a_linear_target(seed, n):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(loc=rng.normal(), scale=rng.uniform(0.5, 2), size=(int(rng.integers(5, 20)), 2))
            for _ in range(n + 20)]
    s = SequenceSet.from_sequences(seqs)
    X, names = B.summary_features(s)
    y = 3.0 * X[:, names.index("dim_0:mean")] - 2.0 * X[:, names.index("dim_1:max")] + 0.5
    data = s.with_targets(y)
    train, test = data.take(np.arange(n)), data.take(np.arange(n, n + 20))
    res = B.ridge_summary(train, test)
    assert res.metrics["rmse"] < 0.05 * y.std()
    assert res.metrics["rmse"] < B.mean_regressor(train, test).metrics["rmse"] / 10


def test_mean_regressor_predicts_the_training_mean():
    train = SequenceSet.from_sequences([[1.0], [2.0, 3.0], [4.0]], targets=np.array([1.0, 2.0, 6.0]))
    test = SequenceSet.from_sequences([[0.0], [1.0]], targets=np.array([3.0, 5.0]))
    res = B.mean_regressor(train, test)
    assert res.predictions.tolist() == [3.0, 3.0]
    assert res.metrics["mae"] == pytest.approx(1.0) and res.metrics["rmse"] == pytest.approx(np.sqrt(2.0))


# ----------------------------------------------------------------------------- forecasting
@given(period=st.integers(3, 20), seed=st.integers(0, 2**16))
@settings(max_examples=30)
def test_find_season_finds_the_period(period, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(12 * period)
    x = 5 * np.sin(2 * np.pi * t / period) + 0.05 * t + 0.3 * rng.normal(size=t.size)
    assert B.find_season(x) == period


def test_find_season_none_without_a_season():
    assert B.find_season(np.arange(50.0)) is None
    assert B.find_season(np.ones(50)) is None
    assert B.find_season([1.0, 2.0, 3.0]) is None


@given(seed=st.integers(0, 2**16), season=st.integers(1, 6), horizon=st.integers(1, 3))
@settings(max_examples=30)
def test_seasonal_naive_forecasts_the_value_one_season_back(seed, season, horizon):
    rng = np.random.default_rng(seed)
    series = [rng.normal(size=int(rng.integers(11, 20))) for _ in range(2)]
    cut = [8, 7]
    train = SequenceSet.from_sequences([s[:c] for s, c in zip(series, cut)])
    test = SequenceSet.from_sequences([s[c:] for s, c in zip(series, cut)])
    res = B.seasonal_naive_forecast(train, test, season=season, horizon=horizon)
    expected, truth = [], []
    for s, c in zip(series, cut):
        for origin in range(c, len(s) - horizon + 1):
            expected.append([s[origin + k - season * (k // season + 1)] for k in range(horizon)])
            truth.append(s[origin:origin + horizon])
    np.testing.assert_allclose(res.predictions, expected)
    assert res.metrics["mae"] == pytest.approx(np.mean(np.abs(np.array(truth) - np.array(expected))))
    if season == 1:
        np.testing.assert_allclose(B.naive_forecast(train, test, horizon=horizon).predictions, expected)


def test_seasonal_naive_detects_the_season_and_beats_naive_on_a_seasonal_series():
    t = np.arange(96)
    x = 10 * np.sin(2 * np.pi * t / 12) + t * 0.1
    train, test = SequenceSet.from_sequences([x[:72]]), SequenceSet.from_sequences([x[72:]])
    seasonal = B.seasonal_naive_forecast(train, test)
    assert seasonal.info["seasons"] == [12]
    assert seasonal.metrics["mae"] < B.naive_forecast(train, test).metrics["mae"] / 2


# ----------------------------------------------------------------------------- cost and choice
def test_dtw_cost_grows_with_size_and_window():
    c = B.dtw_cost_seconds
    assert c(10, 10, 100, 0.1, engine="numpy") < c(20, 10, 100, 0.1, engine="numpy") < c(20, 10, 200, 0.1, engine="numpy")
    assert c(10, 10, 100, 0.1, engine="numpy") < c(10, 10, 100, 0.5, engine="numpy")
    # 2 x 2 pairs of 100 steps with a window of 0.1 (21 cells per row): 4 * 2,100 cells
    assert c(2, 2, 100, 0.1, engine="numpy") == pytest.approx(4 * (2100 * 110e-9 + 5e-6))


def test_choose_baseline_picks_by_budget_and_training_leave_one_out():
    rng = np.random.default_rng(0)
    t = np.arange(40)
    # one bump against two bumps, each at a random place: DTW wins leave-one-out, Euclidean cannot
    bump = lambda c: np.exp(-0.5 * ((t - c) / 1.5) ** 2)  # noqa: E731
    seqs = []
    for k in range(24):
        c = int(rng.integers(6, 24))
        seqs.append(bump(c) + (k % 2) * bump(c + 10) + 0.01 * rng.normal(size=40))
    labels = [str(k % 2) for k in range(24)]
    train, test = labelled(seqs[:16], labels[:16]), labelled(seqs[16:], labels[16:])
    big = B.choose_baseline(train, test, "classify", 1e6, window=0.3)
    small = B.choose_baseline(train, test, "classify", 1e-9, window=0.3)
    assert big.name == "nn_dtw" and big.info["choice"]["loo_accuracy"]["nn_dtw"] == 1.0
    assert big.metrics["accuracy"] == 1.0
    assert "nn_dtw" not in small.info["choice"]["loo_accuracy"] and small.name in ("nn_euclidean", "nn_summary")
    loo = small.info["choice"]["loo_accuracy"]
    assert loo[small.name] == max(loo.values())
    assert big.info["choice"]["dtw_estimated_seconds"] == small.info["choice"]["dtw_estimated_seconds"] > 0
    reg = B.choose_baseline(train.with_targets(np.arange(16.0)), test.with_targets(np.arange(8.0)), "regress", 1.0)
    assert reg.name == "ridge_summary"


def test_choose_baseline_forecast_backtests_the_season():
    t = np.arange(120)
    x = np.sin(2 * np.pi * t / 10)
    fc = B.choose_baseline(SequenceSet.from_sequences([x[:100]]), SequenceSet.from_sequences([x[100:]]), "forecast", 1)
    assert fc.name == "seasonal_naive_forecast" and fc.metrics["mae"] < 1e-9
    assert fc.info["choice"]["seasons"] == [10]
    # a random walk has no season: naive
    walk = np.cumsum(np.random.default_rng(3).normal(size=120))
    fc = B.choose_baseline(SequenceSet.from_sequences([walk[:100]]), SequenceSet.from_sequences([walk[100:]]),
                           "forecast", 1)
    assert fc.name == "naive_forecast"


# ----------------------------------------------------------------------------- bad input
def _good():
    train = labelled([[1.0, 2.0], [3.0, 4.0, 5.0]], ["a", "b"])
    test = labelled([[1.0, 2.5]], ["a"])
    return train, test


def _bad_cases():
    train, test = _good()
    nan_set = SequenceSet.from_sequences([[1.0, np.nan]], targets=np.array(["a"]))
    empty = SequenceSet(np.zeros((2, 1)), np.array([0, 2, 2]), targets=np.array(["a", "b"]))
    two_f = SequenceSet.from_sequences([np.zeros((2, 2))], targets=np.array(["a"]))
    no_targets = SequenceSet.from_sequences([[1.0, 2.0]])
    return [
        (lambda: B.nn_dtw([[1.0, 2.0]], test), ConfigError, "train"),
        (lambda: B.nn_dtw(train, nan_set), DataError, "test"),
        (lambda: B.nn_euclidean(empty, test), DataError, "train"),
        (lambda: B.nn_summary(train, two_f), ShapeError, "test"),
        (lambda: B.nn_dtw(no_targets, test), DataError, "train"),
        (lambda: B.nn_dtw(train, test, window=1.5), ConfigError, "window"),
        (lambda: B.nn_dtw(train, test, window=True), ConfigError, "window"),
        (lambda: B.nn_dtw(train, test, engine="gpu"), ConfigError, "engine"),
        (lambda: B.nn_euclidean(train, test, align="zero"), ConfigError, "align"),
        (lambda: B.ridge_summary(train, test), DataError, "train"),  # labels are not numbers
        (lambda: B.ridge_summary(train.with_targets(np.array([1.0, 2.0])), test, alphas=[-1]), ConfigError, "alphas"),
        (lambda: B.mean_regressor(train.with_targets(np.array([1.0, np.nan])), test), DataError, "train"),
        (lambda: B.naive_forecast(train, test), ShapeError, "test"),
        (lambda: B.naive_forecast(train, train, horizon=3), DataError, "horizon"),
        (lambda: B.naive_forecast(train, train, target_feature=2), ConfigError, "target_feature"),
        (lambda: B.seasonal_naive_forecast(train, train, season=5), DataError, "season"),
        (lambda: B.choose_baseline(train, test, "tag", 1.0), ConfigError, "task"),
        (lambda: B.choose_baseline(train, test, "classify", 0), ConfigError, "budget_seconds"),
        (lambda: B.choose_baseline(train, test, "classify", float("nan")), ConfigError, "budget_seconds"),
        (lambda: B.dtw_distance([], [1.0]), ShapeError, "a"),
        (lambda: B.dtw_distance([1.0], [[1.0, 2.0]]), ShapeError, "b"),
        (lambda: B.dtw_distance(["x"], [1.0]), DataError, "a"),
        (lambda: B.dtw_distance([np.inf], [1.0]), DataError, "a"),
        (lambda: B.dtw_cost_seconds(0, 1, 1), ConfigError, "n_train"),
        (lambda: B.summary_features(np.zeros((2, 3))), ConfigError, "data"),
        (lambda: B.find_season([1.0, np.nan] * 10), DataError, "values"),
    ]


@pytest.mark.parametrize("case", range(len(_bad_cases())))
def test_bad_input_raises_a_seqfeed_error_naming_the_argument(case):
    call, kind, argument = _bad_cases()[case]
    with pytest.raises(kind) as err:
        call()
    assert isinstance(err.value, SeqfeedError)
    assert err.value.argument == argument
    assert str(err.value).startswith(("nn_", "ridge", "mean", "naive", "seasonal", "choose", "dtw", "summary",
                                      "find"))


def test_bad_sequence_is_named_by_index():
    train, _ = _good()
    test = SequenceSet.from_sequences([[1.0], [2.0, np.inf]], targets=np.array(["a", "b"]))
    with pytest.raises(DataError, match=r"^nn_dtw: `test` sequence 1 holds NaN or inf \(step 1\)") as err:
        B.nn_dtw(train, test)
    assert err.value.index == 1 and err.value.fix


def test_inputs_are_not_modified():
    train, test = _good()
    before = (train.values.copy(), test.values.copy(), train.targets.copy())
    for f in (B.nn_dtw, B.nn_euclidean, B.nn_summary):
        f(train, test)
    np.testing.assert_array_equal(train.values, before[0])
    np.testing.assert_array_equal(test.values, before[1])
    np.testing.assert_array_equal(train.targets, before[2])


def test_importing_baselines_does_not_import_numba():
    code = "import sys, seqfeed, seqfeed.baselines; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("module", ["seqfeed.baselines", "seqfeed._forecast_baselines"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_naive_forecasts_pick_the_target_feature_by_index_or_name():
    t = np.arange(20.0)
    full = SequenceSet(np.stack([t, 100 + t], axis=1), [0, 20], feature_names=["a", "b"])
    train = SequenceSet(full.values[:15], [0, 15], feature_names=["a", "b"])
    test = SequenceSet(full.values[15:], [0, 5], feature_names=["a", "b"])
    by_name = B.naive_forecast(train, test, target_feature="b")
    by_index = B.naive_forecast(train, test, target_feature=1)
    assert by_name.predictions.ravel().tolist() == by_index.predictions.ravel().tolist() == [114.0, 115, 116, 117, 118]
    assert B.seasonal_naive_forecast(train, test, season=1, target_feature="a").predictions.ravel().tolist() == \
        [14.0, 15, 16, 17, 18]
    with pytest.raises(ConfigError) as e:
        B.naive_forecast(train, test, target_feature=[0, 1])
    assert e.value.argument == "target_feature" and e.value.received.tolist() == [0, 1]
    with pytest.raises(ConfigError, match=r"`target_feature` names 'z', which is not a feature"):
        B.naive_forecast(train, test, target_feature="z")
