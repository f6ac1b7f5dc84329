"""XLA training on a few fixed batch shapes: padding-exact, no NaN from filler rows, traced once."""
import numpy as np
import pytest

import seqfeed
from seqfeed import BatchLoader, ShapeBucketSampler

pytestmark = pytest.mark.tf

TOL = 1e-5


@pytest.fixture(autouse=True)
def _without_op_determinism():
    """Keras never compiles with XLA while TensorFlow's op determinism is on, and that switch is
    process-wide (the CLI's seeded runs turn it on): run each test here with it off, then restore it."""
    from tensorflow.python.framework import config  # the switch off has no public name in TF 2.x

    was_on = config.is_op_determinism_enabled()
    config.disable_op_determinism()
    yield
    if was_on:
        config.enable_op_determinism()


def test_op_determinism_blocks_xla_and_the_record_says_why():
    from tensorflow.python.framework import config

    from seqfeed.keras import SequenceModel

    _, train = _problem(32, 0)
    sm = SequenceModel.for_data(train, "classify", units=4, seed=0)
    config.enable_op_determinism()
    try:
        sm.fit(train, epochs=1, batch_size=16, verbose=0, jit_compile=True)
    finally:
        config.disable_op_determinism()
    rec = sm.info["compilation"]
    assert rec["jit_compile"] is False and sm.model.jit_compile is False
    assert "op determinism" in rec["why"]


def _problem(n, seed, F=2):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(k, F)).astype("float32") for k in rng.integers(2, 14, n)]
    for s in seqs[::3]:
        s[0] = 0.0  # real all-zero steps
    y = np.array([int(s[-1, 0] > 0) for s in seqs])
    return seqs, seqfeed.SequenceSet.from_sequences(seqs, targets=y)


def _max_diff(model, seqs, padding, value):
    b = seqfeed.pad(seqs, padding=padding, value=value)
    out = np.asarray(model(b.inputs))
    return max(float(np.abs(out[i] - np.asarray(model({"x": s[None], "mask": np.ones((1, len(s)), bool)}))[0])
                     .max()) for i, s in enumerate(seqs))


def _count_traces(model):
    count = {"n": 0}
    original = model.train_step

    def counting(data):
        count["n"] += 1  # runs only while tracing
        return original(data)

    model.train_step = counting
    return count


def test_xla_training_keeps_outputs_independent_of_padding():
    from seqfeed.keras import SequenceModel

    seqs, train = _problem(96, 3)
    sm = SequenceModel.for_data(train, "classify", units=6, padding="pre", seed=1, learning_rate=0.05)
    traces = _count_traces(sm.model)
    hist = sm.fit(train, epochs=3, batch_size=16, verbose=0, jit_compile=True)
    rec = sm.info["compilation"]
    assert rec["jit_compile"] is True and sm.model.jit_compile is True
    assert 1 <= rec["shapes"] <= 16
    assert np.all(np.isfinite(hist.history["loss"]))
    assert traces["n"] <= 2  # XLA compiles per shape, the step is traced once (twice at most)
    for side in ("post", "pre"):
        assert _max_diff(sm.model, seqs[:6], side, 2.0) < TOL


def test_filler_rows_change_neither_loss_nor_gradient_under_xla():
    import keras
    import tensorflow as tf

    from seqfeed.keras import build_lstm, compile_for_task

    _, train = _problem(10, 5)
    sampler = ShapeBucketSampler(train.lengths, batch_size=16, n_buckets=1)
    b = next(iter(BatchLoader(train, sampler)))
    real = b.index >= 0
    assert (~real).sum() == 6 and not b.mask[~real].any()
    keras.utils.set_random_seed(0)
    model = compile_for_task(build_lstm("classify", n_features=2, n_outputs=2, units=5, pooling="mean", seed=0),
                             "classify")
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    @tf.function(jit_compile=True)
    def loss_and_grads(x, mask, y, w):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model({"x": x, "mask": mask}, training=True), sample_weight=w)
        return loss, tape.gradient(loss, model.trainable_variables)

    lf, gf = loss_and_grads(b.x, b.mask, b.y, b.sample_weight)
    n = int(real.sum())
    lr, gr = loss_and_grads(b.x[:n], b.mask[:n], b.y[:n], np.ones(n, np.float32))
    assert np.isfinite(float(lf)) and all(np.all(np.isfinite(g)) for g in gf)
    np.testing.assert_allclose(float(lf), float(lr), rtol=1e-5)
    for a, c in zip(gf, gr):
        np.testing.assert_allclose(np.asarray(a), np.asarray(c), rtol=1e-4, atol=1e-6)


def test_auto_keeps_todays_path_when_compilation_does_not_pay():
    from seqfeed.keras import SequenceModel

    _, train = _problem(40, 7)
    sm = SequenceModel.for_data(train, "classify", units=4, seed=0)
    sm.fit(train, epochs=1, batch_size=16, verbose=0)
    rec = sm.info["compilation"]
    assert rec["jit_compile"] is False and not sm.model.jit_compile
    assert "no XLA" in rec["why"] and rec["compile_s"] > 0
    with pytest.raises(seqfeed.ConfigError, match="jit_compile"):
        sm.fit(train, epochs=1, verbose=0, jit_compile="yes")
