"""Layers that keep the length mask exact."""

from __future__ import annotations

from ._lazy import keras, tf


@keras.saving.register_keras_serializable(package="seqfeed")
class MaskedConv1D(keras.layers.Layer):
    """``Conv1D`` front-end whose output mask comes from the lengths.

    Call with ``(x, mask)``: padded steps of ``x`` are zeroed, then ``x`` gets a
    fixed zero border (``(k - 1) // 2`` steps before, ``k - 1 - that`` after) and a
    "valid" strided convolution runs. Output step ``j`` always covers input steps
    ``j * s - (k - 1) // 2`` to ``+ k``, whatever the padded length, so a real
    output step sees exactly what it sees when the sequence runs alone (Keras'
    "same" padding would shift with the batch length when ``s > 1``). A sequence
    of ``L`` real steps gives ``ceil(L / s)`` real output steps; the layer
    returns ``(y, mask_out)``. Post padding is required (real steps first),
    which is seqfeed's default.
    """

    def __init__(self, filters, kernel_size=3, strides=1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides, self.seed = filters, kernel_size, strides, seed
        self.conv = keras.layers.Conv1D(
            filters, kernel_size, strides=strides, padding="valid", activation="relu",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed))

    def build(self, x_shape, mask_shape=None):
        self.conv.build((x_shape[0], None, x_shape[-1]))

    def call(self, x, mask):
        m = tf.cast(mask, x.dtype)[:, :, None]
        left = (self.kernel_size - 1) // 2
        x = tf.pad(x * m, [[0, 0], [left, self.kernel_size - 1 - left], [0, 0]])
        y = self.conv(x)
        lengths = tf.reduce_sum(tf.cast(mask, "int32"), axis=1)
        out_len = (lengths + self.strides - 1) // self.strides
        steps = tf.range(tf.shape(y)[1])
        mask_out = steps[None, :] < out_len[:, None]
        return y, mask_out

    def compute_output_shape(self, x_shape, mask_shape=None):
        t = None if x_shape[1] is None else -(-x_shape[1] // self.strides)
        return (x_shape[0], t, self.filters), (x_shape[0], t)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides, seed=self.seed)
        return cfg


@keras.saving.register_keras_serializable(package="seqfeed")
class MaskedGlobalPool(keras.layers.Layer):
    """Mean or max of ``(B, T, C)`` over the real steps of each row only.

    Call with ``(h, mask)``; padded steps never enter the result, so it is exact
    under any padding. ``mode="mean+max"`` concatenates both (``2C`` features).
    """

    def __init__(self, mode="mean", **kwargs):
        super().__init__(**kwargs)
        self.mode = mode
        self.supports_masking = True  # it takes the mask as an argument and consumes it

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, h, mask):
        m = tf.cast(mask, h.dtype)[:, :, None]
        outs = []
        if "mean" in self.mode:
            outs.append(tf.reduce_sum(h * m, axis=1) / tf.maximum(tf.reduce_sum(m, axis=1), 1.0))
        if "max" in self.mode:
            neg = tf.fill(tf.shape(h), tf.constant(-3.0e38, h.dtype))
            outs.append(tf.reduce_max(tf.where(mask[:, :, None], h, neg), axis=1))
        return outs[0] if len(outs) == 1 else tf.concat(outs, axis=-1)

    def compute_output_shape(self, h_shape, mask_shape=None):
        k = 2 if self.mode == "mean+max" else 1
        return (h_shape[0], h_shape[-1] * k)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(mode=self.mode)
        return cfg
