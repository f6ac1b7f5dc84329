"""Whether `SequenceModel.fit` compiles its train step with XLA, and the batches it then uses.

XLA (``jit_compile=True``) compiles one program per distinct batch shape. With XLA,
``fit`` keeps the batches of the sampler it would use anyway and pads each one up to
one of a few fixed ``(rows, time_steps)`` shapes (:class:`FixedShapeSampler`), while
the recurrent layers' loops stop at each batch's last real step
(:mod:`seqfeed.keras._bounded`): the same training on a handful of compiled shapes.
A model with no layer whose loop can be bounded gets :class:`~seqfeed.ShapeBucketSampler`
batches instead. ``"auto"`` uses XLA only when the estimate of
``seqfeed.batching._shapes.bounded_plan`` (or ``xla_plan``): compilations + steps
with XLA vs steps without, over the epochs to run, says it pays off. The decision and
its numbers are recorded in ``SequenceModel.info["compilation"]`` (saved with the
model and shown in the CLI's model card). Under TensorFlow's op determinism (which
``seqfeed train`` turns on) Keras refuses XLA; seqfeed compiles anyway, since the
compiled CPU step is reproducible run to run (tested), and records that.
"""

from __future__ import annotations

from ..batching import BatchLoader, ShapeBucketSampler
from ..batching._shapes import FixedShapeSampler, bounded_plan, val_boundaries, xla_plan


def _recurrent_size(model) -> tuple[int, int]:
    """(units of the widest recurrent layer, number of recurrent layers) of a Keras model."""
    units, n = 0, 0
    for layer in model._flatten_layers(include_self=False):
        inner = getattr(layer, "forward_layer", None) or layer
        u = getattr(inner, "units", None)
        if u is not None and hasattr(inner, "cell"):
            units, n = max(units, int(u)), n + (2 if inner is not layer else 1)
    return units or 64, n or 1


def _keras_refuses_jit(model) -> str | None:
    """Why Keras would refuse XLA for this model, or None. Under TensorFlow's op determinism Keras
    refuses it for every model; seqfeed compiles anyway when the model is otherwise supported (the
    compiled CPU step is deterministic run to run: tested), so that seeded runs stay reproducible."""
    from ..keras._lazy import keras  # noqa: F401 - Keras is loaded already here

    from keras.src.trainers.trainer import model_supports_jit

    if model_supports_jit(model):
        return None
    from tensorflow.python.framework.config import is_op_determinism_enabled

    if is_op_determinism_enabled() and all(getattr(x, "supports_jit", True) for x in model._flatten_layers()):
        return "determinism"
    return "this model cannot be compiled with XLA (a layer does not support it)"


def _set_jit(model, use: bool) -> None:
    if getattr(model, "_jit_compile", None) is not use:
        # the attribute behind Keras' `jit_compile` property; its setter refuses XLA under op
        # determinism, which seqfeed checks itself (see _keras_refuses_jit)
        model._jit_compile = use
        model.train_function = model.test_function = None  # rebuilt with the new setting


def choose_compilation(sm, train, loader, validation, *, jit_compile, epochs: int, batch_size: int, seed: int,
                       crop=None, fused="auto"):
    """Decide XLA or not for this fit; returns ``(loader, make_validation_loader)``.

    ``fused`` ("auto", True, False): run eligible LSTM layers on TensorFlow's fused CPU kernel
    (:mod:`seqfeed.keras._fused`). "auto" does so whenever the model has such a layer and XLA is
    not forced; the train step then runs in graph mode on today's per-batch padded batches.

    ``loader`` is today's loader (the sampler the caller asked for). With XLA its batches are
    kept and padded to a few fixed shapes (:class:`FixedShapeSampler`) while the recurrent
    layers' loops stop at each batch's last real step (:mod:`seqfeed.keras._bounded`); a model
    with no such layer gets :class:`ShapeBucketSampler` batches instead.
    """
    from .._errors import ConfigError
    from ._bounded import _eligible, bound_recurrent_loops
    from ._fused import fuse_lstm_loops, has_fusable, usable_cores

    for name, value in (("fused", fused), ("jit_compile", jit_compile)):
        if value is not True and value is not False and not (isinstance(value, str) and value == "auto"):
            raise ConfigError(f"SequenceModel.fit: `{name}` must be 'auto', True or False. Received: "
                              f"{name}={value!r}.", argument=name, received=value,
                              fix=f"pass {name}='auto', True or False")
    model = sm.model
    fusable = has_fusable(model)
    if fused is True and jit_compile is True:
        raise ConfigError("SequenceModel.fit: fused=True and jit_compile=True exclude each other: the fused LSTM "
                          "kernel has no XLA lowering.", argument="fused", received=fused,
                          fix="pass fused=False to compile with XLA, or jit_compile='auto' to use the fused kernel")
    if fused is True and not fusable:
        raise ConfigError("SequenceModel.fit: fused=True needs, on a CPU, an LSTM layer with the default activations, "
                          "a bias, no recurrent dropout, unroll=False and stateful=False; this model has none.",
                          argument="fused", received=fused, fix="pass fused='auto' (uses it only where it applies)")
    val_bs = max(batch_size, 64)

    def today_val(va):
        return sm.loader(va, batching="bucket", batch_size=val_bs, shuffle=False)

    L = train.lengths
    record = {"jit_compile": False}
    bounded = any(_eligible(x) for x in model._flatten_layers(include_self=False))
    refused = None
    if fused is not False and jit_compile is not True and fusable:
        bound_recurrent_loops(model, on=False)
        _set_jit(model, False)
        parts = usable_cores()
        n = fuse_lstm_loops(model, parts=parts)
        sm.info["compilation"] = {
            "jit_compile": False, "fused": True, "fused_layers": n, "parts": parts, "bounded_loop": False,
            "why": (f"{n} LSTM layer(s) on TensorFlow's fused CPU kernel (BlockLSTMV2), each batch's rows split "
                    f"into {parts} part(s) run in parallel, every row stopping at its last real step; no XLA "
                    f"(the fused kernel has no XLA lowering)")}
        return loader, today_val
    fuse_lstm_loops(model, on=False)
    if jit_compile is False:
        record["why"] = "jit_compile=False"
        use, plan = False, None
    else:
        L_all = train.lengths
        base = [(int(b.size), int(L_all[b].max())) for b in loader.sampler.batches(loader.sampler.epoch) if b.size]
        units, layers = _recurrent_size(model)
        if bounded:
            val_base = None
            if validation is not None and len(validation):
                vl = today_val(validation)
                val_base = [(int(b.size), int(validation.lengths[b].max())) for b in vl.sampler.batches(0) if b.size]
            plan = bounded_plan(base, L, epochs=epochs, units=units, layers=layers, val_batches=val_base)
        else:
            plan = xla_plan(L, batch_size=batch_size, epochs=epochs, units=units, layers=layers,
                            baseline_shapes=base, val_lengths=None if validation is None else validation.lengths,
                            val_batch_size=val_bs)
        use = plan["use_xla"] or jit_compile is True
        record.update({k: (round(v, 2) if isinstance(v, float) else v) for k, v in plan.items() if k != "use_xla"})
        record["why"] = plan["why"] if jit_compile == "auto" else "jit_compile=True (forced); " + plan["why"]
    if use:
        refused = _keras_refuses_jit(model)
        if refused not in (None, "determinism"):
            use = False
            record["why"] = refused
        elif refused == "determinism":
            record["determinism"] = ("TensorFlow op determinism is on: Keras would not compile with XLA; "
                                     "seqfeed does (the compiled CPU step gives the same result every run)")
    _set_jit(model, use)
    record["jit_compile"] = use
    record["bounded_loop"] = bool(use and bounded)
    bound_recurrent_loops(model, on=bool(use and bounded))
    sm.info["compilation"] = record
    if not use:
        return loader, today_val
    if bounded:
        sampler = FixedShapeSampler(loader.sampler, boundaries=plan["boundaries"], rows=plan["rows"] or None)
        boundaries = sampler.boundaries

        def shaped_val(va):
            base_val = today_val(va)
            vs = FixedShapeSampler(base_val.sampler, boundaries=val_boundaries(boundaries, va.lengths))
            return BatchLoader(va, vs, padding=sm.padding)

        return BatchLoader(train, sampler, padding=sm.padding, crop=crop, balance=loader.balance), shaped_val
    sampler = ShapeBucketSampler(L, batch_size=batch_size, n_buckets=plan["n_buckets"], seed=seed)
    boundaries = sampler.boundaries

    def shaped_val(va):
        vs = ShapeBucketSampler(va.lengths, batch_size=val_bs, boundaries=val_boundaries(boundaries, va.lengths),
                                shuffle=False)
        return BatchLoader(va, vs, padding=sm.padding)

    return BatchLoader(train, sampler, padding=sm.padding, crop=crop, balance=loader.balance), shaped_val
