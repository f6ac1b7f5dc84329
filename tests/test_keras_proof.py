"""Proof that seqfeed's masked models do not depend on padding.

Trained-like weights (random non-zero biases), sequences with real all-zero
steps, both padding sides, a padding value that is not zero: every sequence's
output in a padded batch must equal its output when run alone.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqfeed

pytestmark = pytest.mark.tf

TOL = 1e-5


def _randomise(model, rng, scale=0.5):
    for w in model.weights:
        w.assign((np.asarray(w) + rng.normal(0, scale, w.shape)).astype("float32"))


def _max_diff(model, task, seqs, padding, value):
    b = seqfeed.pad(seqs, padding=padding, value=value)
    out = np.asarray(model(b.inputs))
    worst = 0.0
    for i, s in enumerate(seqs):
        alone = np.asarray(model({"x": s[None], "mask": np.ones((1, len(s)), bool)}))[0]
        got = out[i][b.mask[i]] if task == "tag" else out[i]
        worst = max(worst, float(np.abs(got - alone).max()))
    return worst


@st.composite
def configs(draw):
    task = draw(st.sampled_from(["classify", "regress", "tag", "forecast"]))
    conv = draw(st.sampled_from([0, 0, 4]))
    return dict(
        task=task,
        units=draw(st.sampled_from([3, 8])),
        layers=draw(st.integers(1, 2)),
        bidirectional=draw(st.booleans()),
        cell=draw(st.sampled_from(["lstm", "gru"])),
        conv_filters=conv,
        conv_stride=1 if (task == "tag" or not conv) else draw(st.integers(1, 3)),
        conv_kernel=draw(st.integers(1, 4)),
        seed=draw(st.integers(0, 1000)),
        n_features=draw(st.integers(1, 3)),
        lengths=draw(st.lists(st.integers(1, 9), min_size=2, max_size=5)),
        value=draw(st.sampled_from([0.0, 5.0, -3.0])),
        pooling=draw(st.sampled_from(["last", "mean", "max", "mean+max"])) if task in ("classify", "regress")
        else "last",
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_output_independent_of_padding(cfg):
    from seqfeed.keras import build_lstm

    rng = np.random.default_rng(cfg["seed"])
    F = cfg["n_features"]
    model = build_lstm(cfg["task"], n_features=F, n_outputs=3, horizon=2, units=cfg["units"],
                       layers=cfg["layers"], bidirectional=cfg["bidirectional"], cell=cfg["cell"],
                       conv_filters=cfg["conv_filters"], conv_stride=cfg["conv_stride"],
                       conv_kernel=cfg["conv_kernel"], pooling=cfg["pooling"], seed=cfg["seed"])
    _randomise(model, rng)
    seqs = [rng.normal(size=(n, F)).astype("float32") for n in cfg["lengths"]]
    seqs[0][rng.integers(0, len(seqs[0]))] = 0.0  # a real all-zero step
    sides = ["post"] if cfg["conv_filters"] else ["post", "pre"]
    for padding in sides:
        assert _max_diff(model, cfg["task"], seqs, padding, cfg["value"]) < TOL


@pytest.mark.slow(seconds=15)
def test_output_independent_of_padding_after_training():
    from seqfeed.keras import SequenceModel

    rng = np.random.default_rng(3)
    seqs = [rng.normal(size=(n, 2)).astype("float32") for n in rng.integers(2, 12, 64)]
    for s in seqs[::3]:
        s[0] = 0.0
    y = np.array([int(s[-1, 0] > 0) for s in seqs])
    train = seqfeed.SequenceSet.from_sequences(seqs, targets=y)
    # trained on post-padded batches, checked on both sides (a model trained on pre-padded batches:
    # tests/test_xla.py::test_xla_training_keeps_outputs_independent_of_padding)
    sm = SequenceModel.for_data(train, "classify", units=6, layers=2, bidirectional=True,
                                padding="post", seed=1, learning_rate=0.05)
    sm.fit(train, epochs=3, batch_size=16, verbose=0)
    assert np.abs(np.asarray(sm.model.weights[-1])).sum() > 0
    for side in ("post", "pre"):
        assert _max_diff(sm.model, "classify", seqs[:6], side, 2.0) < TOL


def test_masking_zero_would_be_wrong_but_length_mask_is_exact():
    """The failure seqfeed prevents: Masking(0.0) drops a real all-zero step."""
    import keras

    rng = np.random.default_rng(0)
    lstm = keras.layers.LSTM(16)
    x = rng.normal(size=(1, 6, 1)).astype("float32")
    x[0, 2] = 0.0
    lstm(x)
    _randomise(lstm, rng)
    alone = np.asarray(lstm(x))
    b = seqfeed.pad([x[0], x[0, :3]])
    exact = np.asarray(lstm(b.x, mask=b.mask))[0]
    masked_by_value = np.asarray(lstm(keras.layers.Masking(0.0)(b.x)))[0]
    assert np.abs(exact - alone[0]).max() < TOL
    assert np.abs(masked_by_value - alone[0]).max() > 1e-3


def test_empty_sequence_rejected_before_tensorflow():
    from seqfeed.keras import SequenceModel

    train = seqfeed.SequenceSet.from_sequences([np.ones((3, 1)), np.ones((2, 1))], targets=[0, 1])
    sm = SequenceModel.for_data(train, "classify", units=2)
    with pytest.raises(seqfeed.DataError, match=r"sequence 1 is empty"):
        sm.predict(seqfeed.SequenceSet.from_sequences([np.ones((3, 1)), np.zeros((0, 1))]))
    with pytest.raises(seqfeed.DataError, match=r"sequence 0 is empty"):
        sm.predict(seqfeed.pad([np.zeros((0, 1)), np.ones((2, 1))]))


def test_cudnn_check():
    import keras

    from seqfeed.keras import cudnn_compatible

    post = seqfeed.pad([np.ones(3), np.ones(1)])
    assert cudnn_compatible(post).ok
    pre = seqfeed.pad([np.ones(3), np.ones(1)], padding="pre")
    check = cudnn_compatible(pre)
    assert not check.ok and "row 1 is not right-padded" in str(check)
    empty = seqfeed.pad([np.ones(3), np.zeros(0)])
    assert "row 1 is fully masked" in str(cudnn_compatible(empty))
    bad = keras.layers.LSTM(4, recurrent_dropout=0.1, activation="relu")
    reasons = cudnn_compatible(post, bad).reasons
    assert any("activation is 'relu'" in r for r in reasons)
    assert any("recurrent_dropout=0.1" in r for r in reasons)


# ------------------------------------------------------------------ the multi-scale Conv1D front-end
HEADS = [("classify", p) for p in ("last", "mean", "max", "mean+max")] + \
        [("regress", p) for p in ("last", "mean", "max", "mean+max")] + [("tag", "last"), ("forecast", "last")]


@pytest.mark.parametrize("k", range(len(HEADS)))
def test_msconv_front_end_output_independent_of_padding(k):
    """Every head and pooling behind the multi-scale front-end: randomised (trained-like) weights,
    real all-zero steps, lengths shorter and longer than the kernels, padding values 0/5/-3."""
    from seqfeed.keras import build_lstm

    task, pooling = HEADS[k]
    rng = np.random.default_rng(k)
    stride = 1 if task == "tag" else 2 + k % 3
    F = 1 + k % 2
    model = build_lstm(task, n_features=F, n_outputs=3, horizon=2, units=4, layers=1 + (k % 4 == 3),
                       bidirectional=k % 2 == 1, cell=("lstm", "gru")[k % 3 == 0], msconv_filters=3,
                       msconv_stride=stride, pooling=pooling, seed=k)
    _randomise(model, rng)
    seqs = [rng.normal(size=(n, F)).astype("float32") for n in (1, stride + 1, 9, 14)]
    seqs[2][4] = 0.0  # real all-zero steps, one of them the first step of a sequence
    seqs[3][0] = 0.0
    alone = [np.asarray(model({"x": s[None], "mask": np.ones((1, len(s)), bool)}))[0] for s in seqs]
    for value in (0.0, 5.0, -3.0):
        b = seqfeed.pad(seqs, value=value)
        out = np.asarray(model(b.inputs))
        for i in range(len(seqs)):
            got = out[i][b.mask[i]] if task == "tag" else out[i]
            assert np.abs(got - alone[i]).max() < TOL, (i, value)


def test_msconv_front_end_refuses_pre_padding_which_would_shift_its_stride_blocks():
    from seqfeed.keras import SequenceModel, build_lstm

    train = seqfeed.SequenceSet.from_sequences([np.ones((6, 1)), np.zeros((4, 1))], targets=[0, 1])
    with pytest.raises(seqfeed.ConfigError,
                       match=r"kind 'conv' or 'msconv'\) needs padding='post'\. Received: padding='pre'"):
        SequenceModel.for_data(train, "classify", units=2, padding="pre", restructure="msconv:2")
    # why: the output mask counts real steps from the left; pre-padded rows put them on the right
    rng = np.random.default_rng(0)
    model = build_lstm("classify", n_features=1, n_outputs=2, units=3, msconv_filters=2, msconv_stride=2, seed=0)
    _randomise(model, rng)
    seqs = [rng.normal(size=(n, 1)).astype("float32") for n in (9, 3)]
    assert _max_diff(model, "classify", seqs, "pre", 0.0) > 1e-3


def test_msconv_front_end_exact_after_training():
    from seqfeed.keras import SequenceModel

    rng = np.random.default_rng(5)
    seqs = [rng.normal(size=(n, 2)).astype("float32") for n in rng.integers(3, 30, 24)]
    for s in seqs[::4]:
        s[1] = 0.0
    y = np.array([int(s[:, 0].mean() > 0) for s in seqs])
    train = seqfeed.SequenceSet.from_sequences(seqs, targets=y)
    sm = SequenceModel.for_data(train, "classify", units=4, pooling="mean+max", seed=2,
                                learning_rate=0.05, restructure="msconv:3")
    before = [np.asarray(w).copy() for w in sm.model.weights]
    sm.fit(train, epochs=1, batch_size=8, verbose=0, jit_compile=False)
    assert any(np.abs(np.asarray(w) - b).max() > 1e-4 for w, b in zip(sm.model.weights, before))
    assert _max_diff(sm.model, "classify", seqs[:5], "post", 3.0) < TOL


# ------------------------------------------------------------------ forecasting the change from the last value
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1000), F=st.integers(1, 3), bidirectional=st.booleans(),
       lengths=st.lists(st.integers(1, 9), min_size=2, max_size=4), value=st.sampled_from([0.0, 5.0, -3.0]),
       shift=st.floats(-50, 50))
def test_change_forecast_independent_of_padding_and_shifts_with_the_level(seed, F, bidirectional, lengths, value,
                                                                          shift):
    """change_of=j: padding (either side, any value) cannot move the forecast, and adding c to feature j
    of every step adds exactly c to every forecast step (the model forecasts the change)."""
    from seqfeed.keras import build_lstm

    rng = np.random.default_rng(seed)
    j = seed % F
    model = build_lstm("forecast", n_features=F, horizon=3, units=4, bidirectional=bidirectional,
                       change_of=j, seed=seed)
    _randomise(model, rng)
    seqs = [rng.normal(size=(n, F)).astype("float32") for n in lengths]
    seqs[0][-1] = 0.0  # a real all-zero last step: the level is 0, not the padding value
    for padding in ("post", "pre"):
        assert _max_diff(model, "forecast", seqs, padding, value) < TOL
    b = seqfeed.pad(seqs, padding="pre", value=value)
    moved = b.x.copy()
    moved[:, :, j] += np.float32(shift)
    out, out_moved = np.asarray(model(b.inputs)), np.asarray(model({"x": moved, "mask": b.mask}))
    assert np.abs(out_moved - out - np.float32(shift)).max() < 1e-3 * (1 + abs(shift))


def test_change_forecast_refuses_other_tasks_and_missing_features():
    from seqfeed.keras import build_lstm

    for kw in (dict(task="classify", n_outputs=2), dict(task="forecast", n_outputs=2),
               dict(task="forecast", n_features=1, change_of=1)):
        kw = {"n_features": 2, "change_of": 0, **kw}
        with pytest.raises(seqfeed.ConfigError, match="change_of= is for forecasting one target") as e:
            build_lstm(kw.pop("task"), **kw)
        assert e.value.argument == "change_of" and e.value.fix
