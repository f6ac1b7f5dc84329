"""Whether `SequenceModel.fit` compiles its train step with XLA, and the batches it then uses.

XLA (``jit_compile=True``) compiles one program per distinct batch shape, so it
is only used together with :class:`~seqfeed.ShapeBucketSampler` (a few fixed
``(rows, time_steps)`` shapes), and only when the estimate of
``seqfeed.batching._shapes.xla_plan`` (compilations + steps with XLA vs steps
without, over the epochs to run) says it pays off. The decision and its numbers
are recorded in ``SequenceModel.info["compilation"]`` (saved with the model and
shown in the CLI's model card).
"""

from __future__ import annotations

from ..batching import BatchLoader, ShapeBucketSampler
from ..batching._shapes import val_boundaries, xla_plan

JIT_CHOICES = ("auto", True, False)


def _recurrent_size(model) -> tuple[int, int]:
    """(units of the widest recurrent layer, number of recurrent layers) of a Keras model."""
    units, n = 0, 0
    for layer in model._flatten_layers(include_self=False):
        inner = getattr(layer, "forward_layer", None) or layer
        u = getattr(inner, "units", None)
        if u is not None and hasattr(inner, "cell"):
            units, n = max(units, int(u)), n + (2 if inner is not layer else 1)
    return units or 64, n or 1


def choose_compilation(sm, train, loader, validation, *, jit_compile, epochs: int, batch_size: int, seed: int,
                       crop=None):
    """Decide XLA or not for this fit; returns ``(loader, make_validation_loader)``.

    ``loader`` is today's loader (the sampler the caller asked for); it is
    replaced by a shape-bounded one when XLA is used.
    """
    from .._errors import ConfigError

    if jit_compile not in JIT_CHOICES or (jit_compile is not True and jit_compile is not False
                                          and jit_compile != "auto"):
        raise ConfigError(f"SequenceModel.fit: `jit_compile` must be 'auto', True or False. Received: "
                          f"jit_compile={jit_compile!r}.", argument="jit_compile", received=jit_compile)
    model = sm.model
    val_bs = max(batch_size, 64)

    def today_val(va):
        return sm.loader(va, batching="bucket", batch_size=val_bs, shuffle=False)

    L = train.lengths
    record = {"jit_compile": False}
    if jit_compile is False:
        record["why"] = "jit_compile=False"
        use, plan = False, None
    else:
        base = [(int(b.size), int(L[b].max())) for b in loader.sampler.batches(loader.sampler.epoch) if b.size]
        units, layers = _recurrent_size(model)
        plan = xla_plan(L, batch_size=batch_size, epochs=epochs, units=units, layers=layers, baseline_shapes=base,
                        val_lengths=None if validation is None else validation.lengths, val_batch_size=val_bs)
        use = plan["use_xla"] or jit_compile is True
        record.update({k: (round(v, 2) if isinstance(v, float) else v) for k, v in plan.items() if k != "use_xla"})
        record["why"] = plan["why"] if jit_compile == "auto" else "jit_compile=True (forced); " + plan["why"]
    if use:
        from ..keras._lazy import keras  # noqa: F401 - Keras is loaded already here

        from keras.src.trainers.trainer import model_supports_jit

        if not model_supports_jit(model):
            from tensorflow.python.framework.config import is_op_determinism_enabled

            use = False
            record["why"] = ("TensorFlow's op determinism is on (tf.config.experimental.enable_op_determinism), "
                             "under which Keras does not compile with XLA" if is_op_determinism_enabled() else
                             "this model cannot be compiled with XLA (a layer does not support it)")
    # always explicit: Keras' own "auto" would turn XLA on for variable shapes on a GPU machine
    if getattr(model, "_jit_compile", None) is not use:
        model.jit_compile = use
        model.train_function = model.test_function = None  # rebuilt with the new setting
    record["jit_compile"] = use
    sm.info["compilation"] = record
    if not use:
        return loader, today_val
    sampler = ShapeBucketSampler(L, batch_size=batch_size, n_buckets=plan["n_buckets"], seed=seed)
    boundaries = sampler.boundaries

    def shaped_val(va):
        vs = ShapeBucketSampler(va.lengths, batch_size=val_bs, boundaries=val_boundaries(boundaries, va.lengths),
                                shuffle=False)
        return BatchLoader(va, vs, padding=sm.padding)

    return BatchLoader(train, sampler, padding=sm.padding, crop=crop, balance=loader.balance), shaped_val
