"""A recurrent loop that runs only over a batch's real steps (for compiled, fixed-shape batches).

Keras' masked RNN loop (``keras.src.backend.tensorflow.rnn.rnn``) runs one
iteration per time step of the padded batch; masked steps still cost a full
cell evaluation (the state is carried through with ``where``). When a batch is
padded up to one of a few fixed shapes for XLA, that would make every batch as
slow as the longest one of its shape. :func:`bound_recurrent_loops` replaces
the loop of eligible recurrent layers by one that starts at the first time step
where any row is real and stops after the last one (``tf.while_loop`` with a
data-dependent condition and a static ``maximum_iterations``, which XLA
compiles once per shape). Steps outside that range are masked for every row,
so they change neither the output nor the states nor any gradient: the result
is the one of Keras' loop (identical in graph mode, to float rounding under
XLA; tested).

Eligible: Keras ``RNN`` layers (LSTM, GRU, SimpleRNN, also inside
``Bidirectional``) that return only their last output
(``return_sequences=False``), with ``unroll=False``, not stateful and
``zero_output_for_mask=False``. Others keep Keras' loop.
"""

from __future__ import annotations

from ._lazy import keras, tf

_ATTR = "_seqfeed_bounded_loop"


def _eligible(layer) -> bool:
    return (isinstance(layer, keras.layers.RNN) and not layer.return_sequences and not layer.unroll
            and not layer.stateful and not layer.zero_output_for_mask)


def bounded_rnn(step, inputs, initial_states, mask, *, go_backwards: bool = False):
    """``(last_output, last_output[:, None], states)`` of a masked RNN over ``inputs``.

    Args:
        step: ``(x_t (B, F), states) -> (output (B, U), new_states)``.
        inputs: float ``(B, T, F)``.
        initial_states: list of ``(B, ...)`` tensors.
        mask: bool ``(B, T)``, True on real steps (any pattern: post or pre padding,
            holes).
        go_backwards: process the steps in reverse order (as Keras does).
    """
    from keras.src import tree

    x = tf.transpose(inputs, [1, 0, 2])  # (T, B, F)
    m = tf.transpose(tf.cast(mask, tf.bool), [1, 0])  # (T, B)
    if go_backwards:
        x, m = tf.reverse(x, [0]), tf.reverse(m, [0])
    T = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
    n = tf.shape(m)[0]
    real = tf.reduce_any(m, axis=1)
    t_idx = tf.range(n, dtype=tf.int32)
    start = tf.reduce_min(tf.where(real, t_idx, n))
    stop = tf.reduce_max(tf.where(real, t_idx + 1, 0))
    x_ta = tf.TensorArray(x.dtype, size=T).unstack(x)
    m_ta = tf.TensorArray(tf.bool, size=T).unstack(m)
    out0, _ = step(x[0], tuple(initial_states))  # the output's shape and dtype (as Keras' loop does)
    zero = tf.zeros_like(out0)

    def body(t, prev, *states):
        out, new = step(x_ta.read(t), tuple(states))
        m_t = tf.expand_dims(m_ta.read(t), 1)
        out = tf.where(m_t, out, prev)
        new = tuple(tf.where(m_t, a, b) for a, b in zip(tree.flatten(new), states))
        return (t + 1, out) + new

    res = tf.while_loop(lambda t, *_: t < stop, body, (start, zero) + tuple(initial_states),
                        maximum_iterations=T, parallel_iterations=32)
    last = res[1]
    return last, tf.expand_dims(last, 1), list(res[2:])


def _inner_loop(layer):
    from keras.src import tree

    def inner_loop(sequences, initial_state, mask, training=False):
        if tree.is_nested(mask):
            mask = mask[0]
        if mask is None:  # nothing to skip
            return type(layer).inner_loop(layer, sequences, initial_state, mask, training=training)
        kwargs = {"training": training} if layer.cell._call_has_training_arg else {}
        if getattr(layer, "dropout", 0) and training:
            # what the layer's own loop does first (LSTM, GRU): draw the step-input dropout mask
            # once for the whole sequence, so the random stream is the same as with Keras' loop
            layer.cell.get_dropout_mask(sequences[:, 0, :])

        def step(x_t, states):
            out, new = layer.cell(x_t, states, **kwargs)
            return out, (new if tree.is_nested(new) else [new])

        states = initial_state if tree.is_nested(initial_state) else [initial_state]
        return bounded_rnn(step, sequences, list(states), mask, go_backwards=layer.go_backwards)

    return inner_loop


def replace_inner_loops(model, attr: str, eligible, make_loop, key=True) -> int:
    """Give every recurrent layer of ``model`` that ``eligible(layer)`` accepts the loop
    ``make_loop(layer)`` (marked by the instance attribute ``attr`` = ``key``), and take a loop
    marked ``attr`` back from the others. Returns how many layers have it afterwards."""
    n = 0
    for layer in model._flatten_layers(include_self=False):
        if not isinstance(layer, keras.layers.RNN):
            continue
        if eligible(layer):
            if layer.__dict__.get(attr) != key:
                object.__setattr__(layer, "inner_loop", make_loop(layer))
                object.__setattr__(layer, attr, key)
            n += 1
        elif layer.__dict__.get(attr):
            del layer.__dict__["inner_loop"]
            del layer.__dict__[attr]
    return n


def bound_recurrent_loops(model, on: bool = True) -> int:
    """Use (``on=True``) or stop using the bounded loop in ``model``'s eligible recurrent layers.

    Returns the number of layers whose loop is bounded afterwards.
    """
    return replace_inner_loops(model, _ATTR, lambda layer: on and _eligible(layer), _inner_loop)
