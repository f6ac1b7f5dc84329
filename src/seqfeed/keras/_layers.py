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


PRE_WIDTHS = (3, 9, 17)  # kernel widths of the full-rate blocks before the strided reduction


def msconv_widths(stride: int) -> tuple:
    """Kernel widths of the multi-scale front-end: 3/5/9 for stride 1, else ``s``, ``2s + 1``, ``4s + 1``
    (one stride block, and about two and four blocks of context)."""
    s = int(stride)
    return (3, 5, 9) if s == 1 else (s, 2 * s + 1, 4 * s + 1)


@keras.saving.register_keras_serializable(package="seqfeed")
class MaskedMultiScaleConv1D(keras.layers.Layer):
    """Masked multi-scale ``Conv1D`` front-end: parallel strided kernels of several widths, over time.

    Call with ``(x, mask)`` (``x`` ``(B, T, F)``, ``mask`` bool ``(B, T)``, True on real steps,
    post padding); returns ``(h, mask_out)`` with ``h`` ``(B, ceil(T / s), C)``, ``C = filters *
    len(widths)``, and ``mask_out`` True on the first ``ceil(L / s)`` steps of a row with ``L`` real
    steps. The output stays a sequence: the LSTM after it runs over time.

    1. Padded steps of ``x`` are set to zero. Optionally (``pre_blocks > 0``) full-rate blocks come
       next: parallel stride-1 convolutions of widths ``pre_widths`` (3, 9, 17; ReLU), each with a
       fixed zero border of ``(w - 1) // 2`` steps before and ``w - 1 - that`` after (output step
       ``t`` covers input steps ``t - (w - 1)//2`` to ``+ w - 1`` whatever ``T``), concatenated,
       normalised per step (``LayerNormalization``), added to the block's input from the second
       block on (residual), and padded steps set to zero again. The strided branches below then
       read this sequence of ``filters * len(pre_widths)`` channels instead of the raw steps.
    2. Branch ``i`` (width ``w``) gets a fixed zero border of ``(w - s) // 2`` steps before and ``w``
       after, runs a "valid" convolution of stride ``s`` (ReLU), and keeps the first ``ceil(T / s)``
       outputs. Output step ``j`` of every branch covers input steps ``j*s - (w - s)//2`` to
       ``+ w - 1``: the branches are centred on the same stride block ``[j*s, j*s + s)``, and the
       window depends only on ``j``, not on the padded length ``T``.
    3. The branches are concatenated and normalised per step over channels
       (``LayerNormalization``): no statistic is taken over time or over the batch, so padded steps
       cannot enter it (a BatchNormalization would average them in).
    4. A residual block at the reduced rate: ``h + LayerNorm(ReLU(Conv1D(h * mask_out, 3)))`` with a
       one-step zero border on each side, so output steps see only real neighbours or zeros.

    A real output step therefore sees real input steps of its own sequence and zeros, and zeros
    stand exactly where the sequence run alone has its zero border: its value does not depend on
    the padding (value or amount). The mask is derived from the lengths, not from values, so a real
    all-zero step stays real. Pre padding would shift the stride blocks: the model builders refuse it.

    Args:
        filters: output channels per branch.
        strides: ``s``, input steps per output step (1 keeps the resolution).
        widths: kernel widths (default :func:`msconv_widths`).
        seed: seed of the kernel initialisers.
        pre_blocks: full-rate blocks before the strided branches (0 = none; the automatic
            recipe uses ``seqfeed.keras._builders.pre_blocks_for_stride``).
        pre_widths: kernel widths of those blocks (default ``PRE_WIDTHS``).
    """

    def __init__(self, filters, strides=1, widths=None, seed=None, pre_blocks=0, pre_widths=None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.strides, self.seed = int(filters), int(strides), seed
        self.widths = tuple(int(w) for w in (widths or msconv_widths(strides)))
        self.pre_blocks = int(pre_blocks)
        self.pre_widths = tuple(int(w) for w in (pre_widths or PRE_WIDTHS))
        init = (lambda k: keras.initializers.GlorotUniform(seed=None if seed is None else seed + 200 + k))
        self.pre = []
        for b in range(self.pre_blocks):
            convs = [keras.layers.Conv1D(self.filters, w, padding="valid", activation="relu",
                                         kernel_initializer=init(20 + 10 * b + k), name=f"pre{b}_w{w}")
                     for k, w in enumerate(self.pre_widths)]
            self.pre.append((convs, keras.layers.LayerNormalization(name=f"pre{b}_norm")))
        self.branches = [keras.layers.Conv1D(self.filters, w, strides=self.strides, padding="valid",
                                             activation="relu", kernel_initializer=init(k), name=f"branch_w{w}")
                         for k, w in enumerate(self.widths)]
        self.norm = keras.layers.LayerNormalization(name="norm")
        self.mix = keras.layers.Conv1D(self.filters * len(self.widths), 3, padding="valid", activation="relu",
                                       kernel_initializer=init(len(self.widths)), name="residual_conv")
        self.mix_norm = keras.layers.LayerNormalization(name="residual_norm")

    def build(self, x_shape, mask_shape=None):
        c = self.filters * len(self.widths)
        f_in = x_shape[-1]
        for convs, norm in self.pre:
            for conv in convs:
                conv.build((x_shape[0], None, f_in))
            f_in = self.filters * len(self.pre_widths)
            norm.build((x_shape[0], None, f_in))
        for conv in self.branches:
            conv.build((x_shape[0], None, f_in))
        self.norm.build((x_shape[0], None, c))
        self.mix.build((x_shape[0], None, c))
        self.mix_norm.build((x_shape[0], None, c))

    def call(self, x, mask):
        s = self.strides
        m_in = tf.cast(mask, x.dtype)[:, :, None]
        x = x_in = x * m_in
        for convs, norm in self.pre:
            outs = []
            for w, conv in zip(self.pre_widths, convs):
                left = (w - 1) // 2
                outs.append(conv(tf.pad(x, [[0, 0], [left, w - 1 - left], [0, 0]])))
            y = norm(tf.concat(outs, axis=-1))
            x = (y if x is x_in else x + y) * m_in
        t_out = (tf.shape(x)[1] + s - 1) // s
        outs = []
        for w, conv in zip(self.widths, self.branches):
            left = max(0, (w - s) // 2)
            y = conv(tf.pad(x, [[0, 0], [left, w], [0, 0]]))
            outs.append(y[:, :t_out])
        h = self.norm(tf.concat(outs, axis=-1))
        lengths = tf.reduce_sum(tf.cast(mask, "int32"), axis=1)
        mask_out = tf.range(t_out)[None, :] < ((lengths + s - 1) // s)[:, None]
        m = tf.cast(mask_out, h.dtype)[:, :, None]
        h = h * m
        r = self.mix(tf.pad(h, [[0, 0], [1, 1], [0, 0]]))
        h = (h + self.mix_norm(r)) * m
        return h, mask_out

    def compute_output_shape(self, x_shape, mask_shape=None):
        t = None if x_shape[1] is None else -(-x_shape[1] // self.strides)
        return (x_shape[0], t, self.filters * len(self.widths)), (x_shape[0], t)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, strides=self.strides, widths=list(self.widths), seed=self.seed,
                   pre_blocks=self.pre_blocks, pre_widths=list(self.pre_widths))
        return cfg


@keras.saving.register_keras_serializable(package="seqfeed")
class LastValueShift(keras.layers.Layer):
    """Inputs relative to one feature's value at each row's last real step, for change forecasting.

    Call with ``(x, mask)``; returns ``(x_rel, level)``: ``level`` ``(B, 1)`` is feature ``feature``
    of ``x`` at the row's last real step (the last True of ``mask``, so post and pre padding give
    the same value), and ``x_rel`` is ``x`` with ``level`` subtracted from that feature on every
    step. A forecasting model built on ``x_rel`` that adds ``level`` back to its output forecasts
    the change from the last observed value: a level it never saw in training (a trend that carries
    the test period above the training range) is a shift of its input, not new input. Padded steps
    never enter ``level``, and the recurrent layers after it take the same mask.
    """

    def __init__(self, feature=0, **kwargs):
        super().__init__(**kwargs)
        self.feature = int(feature)

    def call(self, x, mask):
        t = tf.range(tf.shape(x)[1])[None, :]
        last = tf.maximum(tf.reduce_max(tf.where(mask, t, -1), axis=1), 0)
        level = tf.gather(x[:, :, self.feature], last, batch_dims=1)[:, None]
        onehot = tf.one_hot(self.feature, tf.shape(x)[2], dtype=x.dtype)
        return x - level[:, :, None] * onehot[None, None, :], level

    def compute_output_shape(self, x_shape, mask_shape=None):
        return tuple(x_shape), (x_shape[0], 1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(feature=self.feature)
        return cfg
