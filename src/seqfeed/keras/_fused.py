"""A masked LSTM loop on TensorFlow's fused CPU kernel, its batch split across the cores.

Keras' LSTM on CPU runs a ``tf.while_loop`` of small ops per time step (two matmuls, the
gates, the mask's ``where``), so a train step of short sequences costs mostly the graph
executor's per-op overhead, and a step of long ones runs on one core at a time.
TensorFlow ships a fused kernel for the whole sequence, ``BlockLSTMV2`` (Keras' gate
layout i, f, c, o; the loop in C++), and its gradient, ``BlockLSTMGradV2``. It has no
mask: it runs every row up to one common length. :func:`fuse_lstm_loops` replaces the
loop of eligible ``LSTM`` layers (also inside ``Bidirectional``) by one that

1. moves each row's real steps, in order, to the front of its row (a stable gather by
   the mask), so any mask -- post or pre padding, holes, ``go_backwards`` -- becomes
   "the first ``n_i`` steps are real". Keras' masked loop skips a masked step (state and
   output carried through), so running the cell over the compacted real steps is the
   same computation;
2. splits the batch's rows into one part per core and runs the fused kernel on each part
   up to that part's longest row (independent ops: TensorFlow runs them in parallel);
3. reads each row's last output and states at its own last real step, and, for
   ``return_sequences=True``, scatters the outputs back to the original time positions
   with Keras' rule for masked steps (the previous output; zeros before the first real
   step, or everywhere masked with ``zero_output_for_mask``).

The result is Keras' to float rounding (outputs, states and gradients; tested for every
mask pattern, both directions, stacked and bidirectional layers, dropout). The weights are
the layer's own: the model saves, loads and runs unchanged without this module. The fused
kernel has no XLA lowering, so a model using it trains in graph mode.

Eligible: Keras ``LSTM`` layers with the default activations (tanh, sigmoid), a bias,
no recurrent dropout, ``unroll=False``, not stateful, float32. TensorFlow backend on CPU
only: with a GPU, Keras' own cuDNN path is kept.
"""

from __future__ import annotations

import os

from ._lazy import keras, tf

_ATTR = "_seqfeed_fused_loop"


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _on_cpu() -> bool:
    return not tf.config.list_logical_devices("GPU")


def fused_eligible(layer) -> bool:
    """Whether ``layer`` is a Keras ``LSTM`` whose loop :func:`fuse_lstm_loops` can replace."""
    if not isinstance(layer, keras.layers.LSTM):
        return False
    cell = layer.cell
    act, ract = keras.activations.serialize(cell.activation), keras.activations.serialize(cell.recurrent_activation)
    return (act == "tanh" and ract == "sigmoid" and cell.use_bias and not cell.recurrent_dropout
            and not layer.unroll and not layer.stateful and layer.compute_dtype == "float32")


def _block_lstm(seq_len_max, x, c0, h0, w, b):
    """``BlockLSTMV2`` with the gradient of its own layout. (TensorFlow registers the V1 gradient,
    whose gate order is i, c, f, o, for V2 as well: wrong for V2's i, f, c, o.)"""

    @tf.custom_gradient
    def run(x, c0, h0, w, b):
        zero = tf.zeros(tf.shape(b)[:1] // 4, x.dtype)  # no peepholes
        i, cs, f, o, ci, co, h = tf.raw_ops.BlockLSTMV2(
            seq_len_max=seq_len_max, x=x, cs_prev=c0, h_prev=h0, w=w, wci=zero, wcf=zero, wco=zero, b=b,
            cell_clip=0.0, use_peephole=False)

        def grad(dh, dcs):
            dh = tf.zeros_like(h) if dh is None else dh
            dcs = tf.zeros_like(cs) if dcs is None else dcs
            g = tf.raw_ops.BlockLSTMGradV2(
                seq_len_max=seq_len_max, x=x, cs_prev=c0, h_prev=h0, w=w, wci=zero, wcf=zero, wco=zero, b=b,
                i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h, cs_grad=dcs, h_grad=dh, use_peephole=False)
            return g[0], g[1], g[2], g[3], g[7]

        return (h, cs), grad

    return run(x, c0, h0, w, b)


def _part(x_tm, n, c0, h0, w, b):
    """The fused kernel over one part's rows: time-major ``x_tm`` (T, b, F), real lengths ``n``."""
    seq_len_max = tf.cast(tf.reduce_max(tf.concat([n, [0]], 0)), tf.int64)
    return _block_lstm(seq_len_max, x_tm, c0, h0, w, b)


def fused_lstm(x, mask, h0, c0, kernel, recurrent_kernel, bias, *, go_backwards=False, return_sequences=False,
               zero_output_for_mask=False, parts: int = 1):
    """``(last_output, outputs, [h, c])`` of a masked LSTM, as Keras' loop gives them.

    ``x`` (B, T, F) float32, ``mask`` (B, T) bool (any pattern), ``h0``/``c0`` (B, U).
    ``outputs`` is (B, T, U) in the order the steps were processed (reversed for
    ``go_backwards``, as Keras returns it) when ``return_sequences``, else ``last_output[:, None]``.
    """
    m = tf.cast(mask, tf.bool)
    if go_backwards:
        x, m = tf.reverse(x, [1]), tf.reverse(m, [1])
    mi = tf.cast(m, tf.int32)
    order = tf.argsort(1 - mi, axis=1, stable=True)  # each row's real steps first, in order
    xc = tf.transpose(tf.gather(x, order, batch_dims=1), [1, 0, 2])  # (T, B, F), time-major
    n = tf.reduce_sum(mi, axis=1)
    w = tf.concat([kernel, recurrent_kernel], 0)
    bias = tf.identity(bias)  # a tensor: the custom gradient below must not see the variable
    B = tf.shape(x)[0]
    if parts > 1:
        base = B // parts
        sizes = tf.stack([base + tf.cast(k < B - base * parts, tf.int32) for k in range(parts)])
        hs, css = [], []
        for xp, np_, cp, hp in zip(tf.split(xc, sizes, axis=1, num=parts), tf.split(n, sizes, num=parts),
                                   tf.split(c0, sizes, num=parts), tf.split(h0, sizes, num=parts)):
            h_p, cs_p = _part(xp, np_, cp, hp, w, bias)
            hs.append(h_p)
            css.append(cs_p)
        h, cs = tf.concat(hs, 1), tf.concat(css, 1)
    else:
        h, cs = _part(xc, n, c0, h0, w, bias)
    h = tf.transpose(h, [1, 0, 2])  # (B, T, U)
    cs = tf.transpose(cs, [1, 0, 2])
    has = tf.expand_dims(n > 0, 1)
    last_i = tf.maximum(n - 1, 0)
    h_last = tf.gather(h, last_i, batch_dims=1)
    c_last = tf.gather(cs, last_i, batch_dims=1)
    last = tf.where(has, h_last, tf.zeros_like(h_last))  # Keras: a row with no real step outputs zeros
    states = [tf.where(has, h_last, h0), tf.where(has, c_last, c0)]
    if not return_sequences:
        return last, tf.expand_dims(last, 1), states
    rank = tf.cumsum(mi, axis=1) - 1  # index of the last real step at or before each step
    out = tf.gather(h, tf.maximum(rank, 0), batch_dims=1)
    keep = tf.expand_dims(m if zero_output_for_mask else rank >= 0, 2)
    return last, tf.where(keep, out, tf.zeros_like(out)), states


def _inner_loop(layer, parts: int):
    from keras.src import tree

    def inner_loop(sequences, initial_state, mask, training=False):
        if tree.is_nested(mask):
            mask = mask[0]
        if mask is None:
            mask = tf.ones(tf.shape(sequences)[:2], tf.bool)
        cell = layer.cell
        if training and cell.dropout:  # as Keras' LSTM: one input-dropout mask for the whole sequence
            sequences = sequences * tf.expand_dims(cell.get_dropout_mask(sequences[:, 0, :]), 1)
        h0, c0 = initial_state[0], initial_state[1]
        return fused_lstm(sequences, mask, h0, c0, cell.kernel, cell.recurrent_kernel, cell.bias,
                          go_backwards=layer.go_backwards, return_sequences=layer.return_sequences,
                          zero_output_for_mask=layer.zero_output_for_mask, parts=parts)

    return inner_loop


def fuse_lstm_loops(model, on: bool = True, *, parts: int | None = None) -> int:
    """Use (``on=True``) or stop using the fused loop in ``model``'s eligible LSTM layers.

    ``parts``: row parts run in parallel (default: the usable cores). With a GPU nothing is
    replaced (Keras' cuDNN path is faster there). Returns the number of fused layers afterwards.
    """
    from ._bounded import replace_inner_loops

    parts = usable_cores() if parts is None else max(1, int(parts))
    on = on and _on_cpu()
    return replace_inner_loops(model, _ATTR, lambda layer: on and fused_eligible(layer),
                               lambda layer: _inner_loop(layer, parts), key=parts)


def has_fusable(model) -> bool:
    return _on_cpu() and any(fused_eligible(x) for x in model._flatten_layers(include_self=False))
