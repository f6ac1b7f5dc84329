"""Masked recurrent model builders: the mask is an input, never a sentinel value."""

from __future__ import annotations

from .._checks import check_float
from ._lazy import keras
from .._errors import ConfigError, check_choice, check_int

TASKS = ("classify", "regress", "tag", "forecast")
CELLS = ("lstm", "gru")

# strides up to which the multi-scale front-end gets a full-rate block (median length up to ~512 with the
# ~64-step stride rule): ArrowHead (stride 4) 0.76 -> 0.78 and OSULeaf (stride 7) 0.82 -> 0.84 over two
# seeds, Tecator (stride 2) RMSE 0.91 -> 0.66; on PigCVP (2000 steps, stride 32) it tripled the fit time
# and lost accuracy (0.54 -> 0.32)
PRE_MAX_STRIDE = 8


def pre_blocks_for_stride(stride: int) -> int:
    """Full-rate blocks of the multi-scale front-end for this stride: 1 up to ``PRE_MAX_STRIDE``, else 0
    (their cost grows with the raw length, the strided part's does not)."""
    return 1 if int(stride) <= PRE_MAX_STRIDE else 0


def build_lstm(task: str, *, n_features: int, n_outputs: int = 1, horizon: int = 1, units: int = 64,
               layers: int = 1, bidirectional: bool = False, dropout: float = 0.0, cell: str = "lstm",
               conv_filters: int = 0, conv_kernel: int = 3, conv_stride: int = 1, msconv_filters: int = 0,
               msconv_stride: int = 1, msconv_pre_blocks: int = 0, msconv_pool: bool = False,
               dense_units: int = 0, pooling: str = "last", change_of: int | None = None,
               seed: int | None = None, name: str | None = None):
    """Build a masked recurrent Keras model for one of the four sequence tasks.

    The model has two inputs, ``x`` float32 ``(B, T, F)`` and ``mask`` bool
    ``(B, T)`` (True on real steps, as produced by :func:`seqfeed.pad`), and passes
    ``mask=`` to every recurrent layer: padding cannot change a result, whatever
    the padding value, side or the content of real steps.

    Args:
        task: ``"classify"`` (softmax over ``n_outputs`` classes per sequence),
            ``"regress"`` (``n_outputs`` values per sequence), ``"tag"`` (softmax
            over ``n_outputs`` classes per step; output ``(B, T, n_outputs)``) or
            ``"forecast"`` (``(B, horizon, n_outputs)`` future values).
        n_features: ``F``, features per step.
        n_outputs: classes (classify/tag) or target values per step (regress/forecast).
        horizon: forecast steps (forecast only).
        units: units of each recurrent layer (per direction).
        layers: number of stacked recurrent layers.
        bidirectional: wrap each recurrent layer in ``Bidirectional``.
        dropout: input dropout of the recurrent layers (``recurrent_dropout`` stays 0,
            which keeps the layers cuDNN-compatible).
        cell: ``"lstm"`` or ``"gru"``.
        conv_filters: if > 0, a strided ``Conv1D`` front-end (``conv_kernel``,
            ``conv_stride``; see :class:`MaskedConv1D`) before the recurrent layers:
            its output mask is derived from the lengths (``ceil(length / stride)``
            real steps) and padded steps are zeroed first, so padding cannot leak in.
            Needs post padding.
        msconv_filters: if > 0, a masked multi-scale Conv1D front-end
            (:class:`MaskedMultiScaleConv1D`: parallel kernels of widths ``s``, ``2s + 1``,
            ``4s + 1`` (3, 5, 9 for ``s = 1``) with stride ``s = msconv_stride``, each with
            ``msconv_filters`` channels, concatenated, normalised per step, and a residual
            block) whose output sequence of ``ceil(length / s)`` real steps feeds the recurrent
            layers over time. Needs post padding; not combined with ``conv_filters``.
        msconv_stride: ``s`` of that front-end (1 for ``task="tag"``).
        msconv_pre_blocks: full-rate (stride-1) multi-scale blocks inside that front-end before its
            strided branches (see :class:`MaskedMultiScaleConv1D`, ``pre_blocks``; the automatic
            recipe uses :func:`pre_blocks_for_stride`).
        msconv_pool: for sequence-level tasks, also summarise the front-end's output sequence by
            mean and max over its real steps and concatenate that with the recurrent summary, so the
            head sees the convolutional features directly as well as through the recurrent layers
            (the mean and max are taken over real steps only, so padding cannot enter them).
        dense_units: an optional hidden Dense layer before the output.
        pooling: how a sequence-level task summarises the last recurrent layer:
            ``"last"`` (its state at the last real step), or ``"mean"``, ``"max"``,
            ``"mean+max"`` over the real steps only (helps on long sequences
            where the relevant events can sit anywhere).
        change_of: forecast only: the index of the input feature the forecast continues. The model
            then forecasts the change from that feature's value at each row's last real step
            (:class:`LastValueShift`): its inputs are taken relative to that value and its output is
            added to it. Needs ``n_outputs == 1``.
        seed: seed for the weight initialisers (reproducible models).
    """
    op = "build_lstm"
    check_choice(op, "task", task, TASKS)
    check_choice(op, "cell", cell, CELLS)
    check_choice(op, "pooling", pooling, ("last", "mean", "max", "mean+max"))
    n_features = check_int(op, "n_features", n_features, minimum=1)
    n_outputs = check_int(op, "n_outputs", n_outputs, minimum=1)
    horizon = check_int(op, "horizon", horizon, minimum=1)
    units = check_int(op, "units", units, minimum=1)
    layers = check_int(op, "layers", layers, minimum=1)
    conv_filters = check_int(op, "conv_filters", conv_filters, minimum=0)
    conv_kernel = check_int(op, "conv_kernel", conv_kernel, minimum=1)
    conv_stride = check_int(op, "conv_stride", conv_stride, minimum=1)
    msconv_filters = check_int(op, "msconv_filters", msconv_filters, minimum=0)
    msconv_stride = check_int(op, "msconv_stride", msconv_stride, minimum=1)
    msconv_pre_blocks = check_int(op, "msconv_pre_blocks", msconv_pre_blocks, minimum=0)
    if not isinstance(msconv_pool, bool):
        raise ConfigError(f"{op}: `msconv_pool` must be True or False. Received: {msconv_pool!r}.",
                          argument="msconv_pool", received=msconv_pool, fix="pass msconv_pool=True or False")
    dense_units = check_int(op, "dense_units", dense_units, minimum=0)
    dropout = check_float(op, "dropout", dropout, low=0, high=1, high_open=True)
    if task in ("classify", "tag") and n_outputs < 2:
        raise ConfigError(f"{op}: task={task!r} needs n_outputs >= 2 classes. Received: n_outputs={n_outputs}.",
                          argument="n_outputs", received=n_outputs, fix="pass n_outputs >= 2 (the number of classes)")
    if task == "tag" and conv_stride > 1:
        raise ConfigError(f"{op}: task='tag' labels every input step; conv_stride must be 1.",
                          argument="conv_stride", received=conv_stride, fix="pass conv_stride=1 for task='tag'")
    if task == "tag" and msconv_filters and msconv_stride > 1:
        raise ConfigError(f"{op}: task='tag' labels every input step; msconv_stride must be 1.",
                          argument="msconv_stride", received=msconv_stride, fix="pass msconv_stride=1 for task='tag'")
    if change_of is not None:
        change_of = check_int(op, "change_of", change_of, minimum=0)
        if task != "forecast" or n_outputs != 1 or change_of >= n_features:
            raise ConfigError(f"{op}: change_of= is for forecasting one target that is an input feature "
                              f"(0..{n_features - 1}); received change_of={change_of} with task={task!r}, "
                              f"n_outputs={n_outputs}.", argument="change_of", received=change_of,
                              fix="pass change_of=None, or task='forecast' with one target and the index of "
                                  "its input feature")
    if conv_filters and msconv_filters:
        raise ConfigError(f"{op}: choose one front-end: conv_filters={conv_filters} and "
                          f"msconv_filters={msconv_filters} are both set.", argument="msconv_filters",
                          received=msconv_filters, fix="set conv_filters=0 or msconv_filters=0")

    from ._layers import LastValueShift, MaskedConv1D, MaskedGlobalPool, MaskedMultiScaleConv1D

    L = keras.layers
    init = (lambda k: keras.initializers.GlorotUniform(seed=None if seed is None else seed + k))
    rinit = (lambda k: keras.initializers.Orthogonal(seed=None if seed is None else seed + 100 + k))
    x_in = keras.Input(shape=(None, n_features), dtype="float32", name="x")
    m_in = keras.Input(shape=(None,), dtype="bool", name="mask")
    h, mask = x_in, m_in
    if change_of is not None:
        h, level = LastValueShift(change_of, name="last_value_shift")(h, mask)
    if conv_filters:
        h, mask = MaskedConv1D(conv_filters, conv_kernel, conv_stride, seed=seed, name="conv_front")(h, mask)
    if msconv_filters:
        h, mask = MaskedMultiScaleConv1D(msconv_filters, msconv_stride, seed=seed, pre_blocks=msconv_pre_blocks,
                                         name="msconv_front")(h, mask)
    front = h if msconv_filters and msconv_pool and task != "tag" else None
    front_mask = mask
    Cell = L.LSTM if cell == "lstm" else L.GRU
    for i in range(layers):
        last = i == layers - 1
        pooled = last and pooling != "last" and task != "tag"
        rnn = Cell(units, return_sequences=(not last) or task == "tag" or pooled, dropout=dropout,
                   kernel_initializer=init(i), recurrent_initializer=rinit(i),
                   name=f"{cell}_{i}" if not bidirectional else f"{cell}_{i}_inner")
        if bidirectional:
            rnn = L.Bidirectional(rnn, name=f"bi{cell}_{i}")
        h = rnn(h, mask=mask)
        if pooled:
            h = MaskedGlobalPool(pooling, name=f"pool_{pooling.replace('+', '_')}")(h, mask)
    if front is not None:
        front = MaskedGlobalPool("mean+max", name="front_pool")(front, front_mask)
        h = L.Concatenate(name="with_front_pool")([h, front])
    if dense_units:
        h = L.Dense(dense_units, activation="relu", kernel_initializer=init(50), name="hidden")(h)
    if task == "classify":
        out = L.Dense(n_outputs, activation="softmax", kernel_initializer=init(60), name="classes")(h)
    elif task == "tag":
        out = L.Dense(n_outputs, activation="softmax", kernel_initializer=init(60), name="step_classes")(h)
    elif task == "regress":
        out = L.Dense(n_outputs, kernel_initializer=init(60), name="values")(h)
    else:
        out = L.Dense(horizon * n_outputs, kernel_initializer=init(60), name="forecast_flat")(h)
        if change_of is not None:
            if horizon > 1:  # Add does not broadcast (B, 1) reliably: one copy of the level per step
                level = L.Concatenate(name="level_per_step")([level] * horizon)
            out = L.Add(name="plus_last_value")([out, level])
        out = L.Reshape((horizon, n_outputs), name="forecast")(out)
    return keras.Model(inputs={"x": x_in, "mask": m_in}, outputs=out, name=name or f"seqfeed_{task}")


def compile_for_task(model, task: str, *, learning_rate: float = 1e-3, clipnorm: float | None = 1.0):
    """Compile ``model`` with the loss and metrics that fit ``task``."""
    opt = keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm)
    if task in ("classify", "tag"):
        kw = dict(loss="sparse_categorical_crossentropy")
        if task == "tag":
            kw["weighted_metrics"] = ["sparse_categorical_accuracy"]
        else:
            kw["metrics"] = ["sparse_categorical_accuracy"]
    else:
        kw = dict(loss="mse", metrics=["mae"])
    model.compile(optimizer=opt, **kw)
    return model
