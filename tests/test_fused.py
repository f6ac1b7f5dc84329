"""The fused LSTM loop (TensorFlow's BlockLSTMV2 kernel, rows split across cores) computes what
Keras' masked loop computes: outputs, states and gradients, for every mask pattern, both
directions, sequences or last output, stacked and bidirectional layers, dropout."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqfeed
from seqfeed import ConfigError

pytestmark = pytest.mark.tf

TOL = 2e-5


def _trained_like(layer, rng):
    for w in layer.trainable_weights:  # non-zero biases and recurrent weights (REFERENCE.md): padding would show
        w.assign(rng.normal(size=w.shape).astype("float32") * 0.5)


def _masks(B, T, rng):
    lengths = rng.integers(0, T + 1, B)
    lengths[0] = T
    post = np.arange(T)[None] < lengths[:, None]
    holes = rng.random((B, T)) < 0.6
    return {"post": post, "pre": post[:, ::-1].copy(), "holes": holes}


def _run(layer, x, mask, weights, training=False):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        out = layer(x, mask=mask, training=training)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        loss = sum(tf.reduce_sum(o * tf.cast(tf.range(1, o.shape[-1] + 1), o.dtype)) for o in outs)
    return [np.asarray(o) for o in outs], [np.asarray(g) for g in tape.gradient(loss, weights)]


def _compare(ref, got, tol=TOL):
    for a, b in zip(ref[0] + ref[1], got[0] + got[1]):
        np.testing.assert_allclose(b, a, atol=tol, rtol=1e-5)


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("direction", ["forward", "backwards", "bidirectional"])
def test_fused_loop_gives_kerass_outputs_states_and_gradients(return_sequences, direction):
    import keras

    from seqfeed.keras._fused import fuse_lstm_loops

    rng = np.random.default_rng(3)
    B, T, F, U = 7, 11, 3, 5  # 7 rows: parts of unequal size; some rows have no real step
    x = rng.normal(size=(B, T, F)).astype("float32")
    x[:, 2] = 0.0  # real all-zero steps
    lstm = keras.layers.LSTM(U, return_sequences=return_sequences, go_backwards=direction == "backwards",
                             return_state=direction != "bidirectional")
    layer = keras.layers.Bidirectional(lstm) if direction == "bidirectional" else lstm
    model = keras.Sequential([keras.Input((T, F)), layer]) if direction == "bidirectional" else None
    if model is None:
        layer(x[:1])
    _trained_like(layer, rng)
    for name, mask in _masks(B, T, rng).items():
        ref = _run(layer, x, mask, layer.trainable_weights)
        for parts in (1, 2, 3):
            target = model if model is not None else keras.Sequential([layer])
            assert fuse_lstm_loops(target, parts=parts) == (2 if direction == "bidirectional" else 1)
            got = _run(layer, x, mask, layer.trainable_weights)
            assert fuse_lstm_loops(target, on=False) == 0
            assert "inner_loop" not in (layer.forward_layer if model is not None else layer).__dict__
            _compare(ref, got)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_fused_loop_matches_keras_on_any_mask(data):
    """Property: for any lengths and any mask pattern (holes included), one compiled function of
    each loop gives the same last outputs, sequences and gradients."""
    import tensorflow as tf

    B = data.draw(st.integers(1, 6), label="rows")
    T = data.draw(st.integers(1, 9), label="steps")
    mask = np.array(data.draw(st.lists(st.lists(st.booleans(), min_size=T, max_size=T), min_size=B,
                                       max_size=B), label="mask"), dtype=bool)
    x = np.random.default_rng(B * 31 + T).normal(size=(B, T, 2)).astype("float32")
    keras_fn, fused_fn = _property_functions()
    ref = keras_fn(tf.constant(x), tf.constant(mask))
    got = fused_fn(tf.constant(x), tf.constant(mask))
    for a, b in zip(tf.nest.flatten(ref), tf.nest.flatten(got)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), atol=TOL, rtol=1e-5)


_FUNCTIONS = {}


def _property_functions():
    """A stacked LSTM (sequences, then last output) traced once per loop, for any (B, T)."""
    if _FUNCTIONS:
        return _FUNCTIONS["keras"], _FUNCTIONS["fused"]
    import keras
    import tensorflow as tf

    from seqfeed.keras._fused import fuse_lstm_loops

    rng = np.random.default_rng(0)
    keras_model = keras.Sequential([keras.Input((None, 2)), keras.layers.LSTM(4, return_sequences=True),
                                    keras.layers.LSTM(3)])
    fused_model = keras.Sequential([keras.Input((None, 2)), keras.layers.LSTM(4, return_sequences=True),
                                    keras.layers.LSTM(3)])
    for a in keras_model.layers:
        _trained_like(a, rng)
    fused_model.set_weights(keras_model.get_weights())
    assert fuse_lstm_loops(fused_model, parts=2) == 2
    spec = [tf.TensorSpec((None, None, 2), tf.float32), tf.TensorSpec((None, None), tf.bool)]

    def make(model):
        def f(x, mask):
            with tf.GradientTape() as tape:
                seq = model.layers[0](x, mask=mask)
                out = model.layers[1](seq, mask=mask)
                loss = tf.reduce_sum(out * tf.range(1.0, 4.0)) + tf.reduce_sum(
                    seq * tf.cast(tf.expand_dims(mask, 2), tf.float32))
            return out, seq, tape.gradient(loss, model.trainable_weights)
        return tf.function(f, input_signature=spec)

    _FUNCTIONS.update(keras=make(keras_model), fused=make(fused_model))
    return _FUNCTIONS["keras"], _FUNCTIONS["fused"]


def test_fused_loop_draws_kerass_dropout_mask():
    """Training with input dropout: the fused loop applies the mask Keras' loop would draw."""
    import keras

    from seqfeed.keras._fused import fuse_lstm_loops

    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 8, 4)).astype("float32")
    mask = _masks(6, 8, rng)["post"]
    layer = keras.layers.LSTM(5, dropout=0.4, seed=11)
    model = keras.Sequential([keras.Input((None, 4)), layer])
    _trained_like(layer, rng)
    state = np.asarray(layer.cell.seed_generator.state)
    ref = _run(layer, x, mask, layer.trainable_weights, training=True)
    layer.cell.seed_generator.state.assign(state)  # the same random stream again
    assert fuse_lstm_loops(model, parts=2) == 1
    got = _run(layer, x, mask, layer.trainable_weights, training=True)
    _compare(ref, got)
    no_dropout = _run(layer, x, mask, layer.trainable_weights, training=False)
    assert np.abs(no_dropout[0][0] - got[0][0]).max() > 1e-3  # the mask did change the result


def _problem(n, seed, F=2):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(k, F)).astype("float32") for k in rng.integers(2, 14, n)]
    y = np.array([int(s[-1, 0] > 0) for s in seqs])
    return seqfeed.SequenceSet.from_sequences(seqs, targets=y)


def _weights(sm):
    return np.concatenate([w.ravel() for w in sm.model.get_weights()])


def test_fit_uses_the_fused_kernel_by_default_and_trains_as_kerass_loop():
    from seqfeed.keras import SequenceModel

    train = _problem(60, 1)
    out = {}
    for fused in ("auto", False):
        sm = SequenceModel.for_data(train, "classify", units=5, seed=2, learning_rate=0.02)
        sm.fit(train, epochs=2, batch_size=16, verbose=0, fused=fused)
        out[fused] = (_weights(sm), sm.info["compilation"])
    rec = out["auto"][1]
    assert rec["fused"] is True and rec["jit_compile"] is False and rec["fused_layers"] == 1
    assert "fused" not in out[False][1] and out[False][1]["jit_compile"] is False
    np.testing.assert_allclose(out["auto"][0], out[False][0], atol=1e-4)


def test_fused_training_is_reproducible_under_op_determinism():
    """``seqfeed train`` turns TensorFlow's op determinism on: the fused kernel runs under it and two
    runs with one seed give bit-identical weights (dropout included)."""
    import keras
    from tensorflow.python.framework import config

    from seqfeed.keras import SequenceModel

    train = _problem(40, 4)
    was_on = config.is_op_determinism_enabled()
    config.enable_op_determinism()
    runs = []
    try:
        for _ in range(2):
            keras.utils.set_random_seed(0)
            sm = SequenceModel.for_data(train, "classify", units=4, dropout=0.2, seed=0)
            sm.fit(train, epochs=2, batch_size=8, verbose=0)
            runs.append(_weights(sm))
    finally:
        if not was_on:
            config.disable_op_determinism()
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("kwargs, argument", [
    ({"fused": "yes"}, "fused"),
    ({"fused": True, "jit_compile": True}, "fused"),
])
def test_bad_fused_options_are_config_errors(kwargs, argument):
    from seqfeed.keras import SequenceModel

    train = _problem(10, 0)
    sm = SequenceModel.for_data(train, "classify", units=3, seed=0)
    with pytest.raises(ConfigError) as e:
        sm.fit(train, epochs=1, verbose=0, **kwargs)
    assert e.value.argument == argument and e.value.fix


def test_fused_true_without_an_eligible_lstm_is_a_config_error():
    from seqfeed.keras import SequenceModel

    train = _problem(10, 0)
    sm = SequenceModel.for_data(train, "classify", units=3, seed=0, cell="gru")
    with pytest.raises(ConfigError) as e:
        sm.fit(train, epochs=1, verbose=0, fused=True)
    assert e.value.argument == "fused" and "LSTM" in str(e.value)
    sm.fit(train, epochs=1, verbose=0)  # "auto": Keras' loop for the GRU
    assert "fused" not in sm.info["compilation"]
