"""XLA training on a few fixed batch shapes: padding-exact, no NaN from filler rows, traced once,
the same training as without XLA, reproducible under op determinism."""
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


def _weights(sm):
    return np.concatenate([w.ravel() for w in sm.model.get_weights()])


def test_xla_under_op_determinism_is_used_and_reproducible():
    """Keras refuses XLA under op determinism; seqfeed compiles anyway because the compiled CPU
    step is deterministic: the same seed twice gives bit-identical weights (dropout included)."""
    from tensorflow.python.framework import config

    import keras

    from seqfeed.keras import SequenceModel

    _, train = _problem(32, 0)
    runs = []
    config.enable_op_determinism()
    try:
        for _ in range(2):
            keras.utils.set_random_seed(0)  # as the CLI does: dropout's seed is drawn when the layer is built
            sm = SequenceModel.for_data(train, "classify", units=4, dropout=0.2, seed=0)
            sm.fit(train, epochs=2, batch_size=16, verbose=0, jit_compile=True)
            runs.append(sm)
    finally:
        config.disable_op_determinism()
    rec = runs[0].info["compilation"]
    assert rec["jit_compile"] is True and runs[0].model.jit_compile is True and rec["bounded_loop"] is True
    assert "op determinism" in rec["determinism"]
    np.testing.assert_array_equal(_weights(runs[0]), _weights(runs[1]))


def test_xla_fit_trains_what_the_graph_fit_trains(padding="post"):
    """Same batches (today's sampler), padded to a few shapes, loop bounded to the real steps: the
    weights after training match the uncompiled fit up to float rounding."""
    from seqfeed.keras import SequenceModel

    _, train = _problem(70, 2)
    out = {}
    for jit in (False, True):
        sm = SequenceModel.for_data(train, "classify", units=5, seed=3, padding=padding, learning_rate=0.02)
        sm.fit(train, epochs=2, batch_size=16, verbose=0, jit_compile=jit)
        out[jit] = (_weights(sm), sm.info["compilation"])
    assert out[True][1]["jit_compile"] is True and out[False][1]["jit_compile"] is False
    assert out[True][1]["boundaries"][-1] == int(train.lengths.max())
    np.testing.assert_allclose(out[True][0], out[False][0], atol=2e-5)


@pytest.mark.parametrize("cell, backwards", [("LSTM", False), ("GRU", True)])
def test_bounded_loop_gives_kerass_outputs_and_gradients(cell, backwards):
    import keras
    import tensorflow as tf

    from seqfeed.keras._bounded import bound_recurrent_loops

    rng = np.random.default_rng(1)
    B, T, F = 6, 12, 3
    x = rng.normal(size=(B, T, F)).astype("float32")
    lengths = np.array([12, 3, 7, 1, 5, 9])
    post = np.arange(T)[None] < lengths[:, None]
    pre = post[:, ::-1].copy()
    layer = getattr(keras.layers, cell)(5, go_backwards=backwards)
    model = keras.Sequential([keras.Input((T, F)), layer])
    for w in layer.weights:
        w.assign(rng.normal(size=w.shape).astype("float32") * 0.5)  # non-zero biases (REFERENCE.md)

    def grads(x, mask):
        with tf.GradientTape() as tape:
            out = layer(x, mask=mask)
            loss = tf.reduce_sum(out * tf.range(1.0, 6.0))
        return out, tape.gradient(loss, layer.trainable_weights)

    for mask in (post, pre):
        ref, ref_g = grads(x, mask)
        assert bound_recurrent_loops(model) == 1
        got, got_g = grads(x, mask)  # graph-free (eager) call of the bounded loop
        xla, xla_g = tf.function(grads, jit_compile=True)(x, mask)
        assert bound_recurrent_loops(model, on=False) == 0 and "inner_loop" not in layer.__dict__
        np.testing.assert_allclose(np.asarray(got), np.asarray(ref), atol=1e-6)
        np.testing.assert_allclose(np.asarray(xla), np.asarray(ref), atol=1e-5)
        for a, b, c in zip(got_g, xla_g, ref_g):
            np.testing.assert_allclose(np.asarray(a), np.asarray(c), atol=1e-5)
            np.testing.assert_allclose(np.asarray(b), np.asarray(c), atol=1e-4)


def test_layers_returning_sequences_keep_kerass_loop():
    import keras

    from seqfeed.keras._bounded import bound_recurrent_loops

    model = keras.Sequential([keras.Input((None, 2)), keras.layers.LSTM(3, return_sequences=True),
                              keras.layers.GRU(3)])
    assert bound_recurrent_loops(model) == 1
    assert "inner_loop" not in model.layers[0].__dict__ and "inner_loop" in model.layers[1].__dict__


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

    seqs, train = _problem(64, 3)
    sm = SequenceModel.for_data(train, "classify", units=6, padding="pre", seed=1, learning_rate=0.05)
    traces = _count_traces(sm.model)
    hist = sm.fit(train, epochs=2, batch_size=16, verbose=0, jit_compile=True)
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
    sm.fit(train, epochs=1, batch_size=16, verbose=0, fused=False)  # the XLA decision of a Keras loop
    rec = sm.info["compilation"]
    assert rec["jit_compile"] is False and not sm.model.jit_compile
    assert "no XLA" in rec["why"] and rec["compile_s"] > 0
    with pytest.raises(seqfeed.ConfigError, match="jit_compile"):
        sm.fit(train, epochs=1, verbose=0, jit_compile="yes")
