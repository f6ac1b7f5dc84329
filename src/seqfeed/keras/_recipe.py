"""``seqfeed.keras.train``: the automatic recipe of ``seqfeed train`` as one call.

The steps, in order (TensorFlow is imported only at step 4, so a bad option, a bad file or a
taken ``out`` fails in milliseconds):

1. the options are checked (:mod:`._options`);
2. the data is read: a file, a bundled dataset name or a :class:`~seqfeed.SequenceSet`; a test
   file's features are matched by name with the training data's; targets are checked for the task;
3. ``out`` is claimed and locked (:mod:`._out`);
4. a leakage-free split (by entity; forecasting: by time), scaling fitted on the training split,
   the restructuring search on the validation split, batch size / epochs / refit from the data size;
5. training with a checkpoint per epoch (``resume=True`` continues an interrupted run exactly);
6. test metrics beside the strongest cheap baseline affordable in ~10% of the training time;
7. model, metrics, history, plots and model card written into ``out`` as one directory.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ConfigError, SeqfeedError
from .._fs import atomic_file, discard_dir, fault_point, replace_dir
from ..sources._shards import json_default
from ._evaluate import baseline_headline, evaluate_plan
from ._options import option_label, resolve_options, run_record
from ._out import claim_out, has_checkpoints

OP = "seqfeed.keras.train"


@dataclass
class TrainRun:
    """The result of :func:`train`.

    Attributes:
        model: the trained :class:`SequenceModel` (its scaler and restructuring included, so
            ``run.model.predict(new_sequences)`` takes raw sequences).
        metrics: the test metrics, as written to ``metrics.json`` (``baseline`` holds the cheap
            baseline on the same split and the gap to the model). None on a worker of a cluster
            other than the chief.
        choices: every automatic choice with its reason (restructuring and scaling candidates with
            their validation scores, model recipe, batch size, epochs, refit).
        card: the model card (Markdown, as written to ``README.md``); None for shards training.
        history: per-epoch losses and metrics of the final fit.
        out: the output directory (absolute), or None when nothing was written.
    """

    model: Any
    metrics: dict | None
    choices: dict
    card: str | None
    history: dict = field(default_factory=dict)
    out: Path | None = None
    task: str = ""
    shards: bool = False

    @property
    def headline(self) -> str | None:
        """The warning that comes first when the baseline scores better than the model, else None."""
        return baseline_headline(self.metrics or {})


def train(data, *, task: str, test=None, out=None, **options) -> TrainRun:
    """Train, evaluate and (with ``out``) save a masked LSTM the way ``seqfeed train`` does.

    Args:
        data: a file (CSV, Parquet, .npz, .npy, .ts; a long table needs ``id``/``time``/``target``
            options unless its columns are so named), a bundled dataset name (``"japanese_vowels"``,
            ``"sunspots"``), a directory of sequence shards, or a :class:`~seqfeed.SequenceSet`
            with targets.
        task: ``"classify"``, ``"regress"``, ``"tag"`` or ``"forecast"``.
        test: held-out test data (a file or a SequenceSet; features matched by name). Default: the
            bundled dataset's own test split, else ``test_fraction`` of the entities.
        out: directory to write the model, metrics, plots and model card into (whole or not at
            all; an existing seqfeed output only with ``force=True``). None writes nothing.
        **options: the ``seqfeed train`` flags with underscores, e.g. ``epochs=30``,
            ``frame="msconv:8"``, ``time_budget=60``, ``seed=1``; plus ``verbose=True`` (progress
            on stderr) or ``progress=callable`` (each progress message).

    Returns:
        A :class:`TrainRun` with ``model``, ``metrics``, ``choices``, ``card``, ``history``, ``out``.

    Raises:
        ConfigError: a bad option (``argument`` names it), or a taken ``out``.
        DataError: unusable data.

    The same ``seed`` gives the same metrics as ``seqfeed train`` with the same flags.
    """
    o = resolve_options(task, options)
    say = _reporter(o)
    o.data_label, o.test_label = _label(data, "data"), _label(test, "test")
    o.out = None if out is None else str(out)
    from ._shards_recipe import is_shards_path

    if is_shards_path(o.data_label) and isinstance(data, (str, os.PathLike)):
        return _train_on_shards(o, test, say)
    if o.workers != 1:
        raise ConfigError(f"{OP}: workers={o.workers} needs sequence shards; {o.data_label!r} is not a shards "
                          "directory.", argument="workers", received=o.workers,
                          fix=f"pack the data first (seqfeed pack {o.data_label} --id ... --time ... --out "
                              "SHARDS/), then train on SHARDS/; or leave out workers=")
    t_start = time.time()
    loaded, test_loaded = _read(data, test, o)
    if out is None:
        if o.resume:
            raise ConfigError(f"{OP}: resume=True continues a run that wrote to out=; none was given.",
                              argument="resume", fix="pass the out= of the interrupted run")
        with tempfile.TemporaryDirectory(prefix="seqfeed-train-") as work:
            return _fit_and_write(o, loaded, test_loaded, None, Path(work), t_start, say)
    record = run_record(_fingerprint(data, o.data_label), _fingerprint(test, o.test_label), o)
    out_path, work, lock = claim_out(out, force=o.force, resume=o.resume, record=record, say=say)
    try:
        return _fit_and_write(o, loaded, test_loaded, out_path, work, t_start, say)
    except SeqfeedError:
        # a bad option or data found before the first checkpoint: nothing to resume, so the rerun
        # with the corrected call needs no force=True
        if work.is_dir() and not has_checkpoints(work):
            discard_dir(work)
        raise
    finally:
        lock.release()


def _reporter(o):
    if o.progress is not None:
        return o.progress
    if o.verbose:
        return lambda msg: print(msg, file=sys.stderr, flush=True)
    return lambda msg: None


def _label(x, name: str) -> str | None:
    """How ``data``/``test`` is named in messages and in the model card."""
    from ..core import SequenceSet

    if x is None or (isinstance(x, str) and not x):
        return None
    if isinstance(x, (str, os.PathLike)):
        return os.fspath(x)
    if isinstance(x, SequenceSet):
        return f"<SequenceSet of {len(x)} sequences>"
    raise ConfigError(f"{OP}: `{name}` must be a file path, a bundled dataset name or a SequenceSet. Received "
                      f"{type(x).__name__}.", argument=name, received=type(x).__name__,
                      fix=f"pass {name}= as a path or seqfeed.SequenceSet.from_sequences(...)")


def _fingerprint(x, label):
    """What identifies the data in the record ``resume=True`` compares: the path, or a digest."""
    from ..core import SequenceSet

    if not isinstance(x, SequenceSet):
        return label
    import hashlib

    h = hashlib.sha256()
    for a in (x.values, x.offsets, x.targets, x.step_targets):
        if a is not None:
            h.update(np.ascontiguousarray(np.asarray(a).astype(str) if np.asarray(a).dtype.kind in "OU"
                                          else a).tobytes())
    return f"{label} sha256:{h.hexdigest()[:16]}"


def _read(data, test, o):
    """``(loaded, test_loaded)``: the data, and the test data matched to its features by name."""
    from ..datasets.resolve import check_targets, reading_options

    opts = reading_options(id=o.id, time=o.time, target=o.target, features=o.features, nan=o.nan,
                           duplicates=o.duplicates, drop_missing_targets=o.drop_missing_targets)
    loaded = _as_loaded(data, o.data_label, o.task, opts)
    test_loaded = None
    if o.test_label is not None:
        names = loaded.seqs.feature_names
        test_loaded = _as_loaded(test, o.test_label, o.task, {
            **opts, "model_features": list(names) if names else None,
            "features_source": f"the training data {o.data_label} has the features"})
    if o.task != "forecast":
        for part in (loaded, test_loaded):
            if part is not None:
                check_targets(part, o.task)  # before TensorFlow is imported
    return loaded, test_loaded


def _as_loaded(x, label, task, opts):
    from ..datasets.resolve import Loaded, load, match_model_features

    if isinstance(x, (str, os.PathLike)):
        return load(os.fspath(x), task=task, options=opts)
    return match_model_features(Loaded(x, label, {"format": "sequence_set"}), label, opts)


def _train_on_shards(o, test, say) -> TrainRun:
    """Shards: streamed training; the same ``out`` rules (no checkpoints). The lock is taken on one
    host only: with ``TF_CONFIG`` every host of a cluster runs the same call with the same ``out``."""
    from . import _shards_recipe

    _shards_recipe.check_shards_options(o, test)
    if o.out is None:
        raise ConfigError(f"{OP}: training on shards saves the model into out=; none was given.",
                          argument="out", fix="pass out= with a new directory")
    out, _, lock = claim_out(o.out, force=o.force, resume=o.resume, work_dir=False,
                             lock="TF_CONFIG" not in os.environ, say=say)
    try:
        sm, metrics = _shards_recipe.train_shards(o.data_label, o, o.out, say)
    finally:
        lock.release()
    return TrainRun(model=sm, metrics=metrics, choices={}, card=None, out=out, task=o.task, shards=True)


# ---------------------------------------------------------------------------------------------- the run
def _fit_and_write(o, loaded, test_loaded, out, work, t_start, say) -> TrainRun:
    plan, setup = _prepare(o, loaded, test_loaded, work, say)
    sm = _build_model(o, loaded, plan, setup)
    ckpt, fit_seconds = _fit(o, sm, plan, setup, work, say)
    sm, ensemble, more_seconds = _ensemble(o, sm, ckpt, loaded, plan, setup, work, say)
    refit = setup["report"]["training"]["refit"]
    metrics = evaluate_plan(sm, plan, setup["scaler"], label=lambda name, value=None: option_label(o, name, value))
    metrics.update({"epochs_run": len(ckpt.history.get("loss", [])),
                    "best_epoch": None if refit else ckpt.best_epoch + 1,
                    "averaged_epochs": ckpt.n_averaged if refit else None,
                    "extension": ckpt.extension,
                    "stopped_early": ckpt.stopped_early, **({"ensemble": ensemble} if ensemble else {}),
                    "fit_seconds": round(fit_seconds + more_seconds, 2),
                    "total_seconds": round(time.time() - t_start, 2)})
    if o.task == "forecast":
        sm.info["forecast_scaler"] = setup["scaler"].to_dict()
    if out is None:
        from ._card import model_card

        card = model_card(sm, plan, metrics, setup, {}, o)
    else:
        card = _write_out(o, sm, plan, metrics, setup, ckpt.history, out, work)
    return TrainRun(model=sm, metrics=metrics, choices=setup["report"], card=card, history=ckpt.history,
                    out=out, task=o.task)


def _seed_everything(seed: int) -> None:
    from ._lazy import keras, tf

    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # pragma: no cover - older TF
        pass


def _prepare(o, loaded, test_loaded, work, say):
    """The split, the training size and the input setup (chosen, or reused on resume)."""
    from ._choose import apply_budget, apply_regress_epochs, choose_training, ensemble_for, extension_with_crops
    from ._tasks import plan_forecast, plan_sequences

    _seed_everything(o.seed)
    plan = plan_forecast(loaded, test_loaded, o) if o.task == "forecast" else plan_sequences(loaded, test_loaded, o)
    say(plan.summary())
    training = choose_training(plan, o)
    o.batch, o.epochs = training["batch"], training["epochs"]
    setup = _choose_or_reuse_setup(plan, o, work, say, training)
    training = apply_regress_epochs(training, setup["report"].get("regress_epochs"))
    training = extension_with_crops(training, setup["model"].get("crop"))
    training = apply_budget(training, setup["report"].get("budget"))
    o.epochs = training["epochs"]
    training["ensemble"], training["ensemble_why"] = ensemble_for(plan, o, training)
    setup["report"]["training"] = training
    return plan, setup


def _choose_or_reuse_setup(plan, o, work, say, training):
    """The restructuring/scaling choice, and with a time budget the final fit's epoch cap; a resumed
    run reuses the interrupted run's (both are timed, so computing them again could differ)."""
    import time as _time

    from ._choose import budget_epochs, choose_setup, regress_epochs
    from ._tasks import build_scaler

    f = work / "setup.json"
    if f.is_file():
        saved = json.loads(f.read_text())
        rep = saved["report"]
        scaler = build_scaler(plan.scaler_data(), rep["normalize"]["chosen"], rep["log_transform"]["chosen"])
        say(f"input: {rep['restructure']['chosen']}; scaling: {rep['normalize']['chosen']} "
            f"(as chosen by the interrupted run)")
        from ..transforms import Restructure

        return {"scaler": scaler, "restructure": Restructure.coerce(saved["restructure"]), "report": rep,
                "model": saved["model"]}
    setup = choose_setup(plan, o, say=say)
    cap = None
    directions = 2 if setup["model"]["bidirectional"] else 1
    if o.time_budget:  # the probe and the final fit share what the search left of the budget
        left = budget_epochs(plan, o, training, setup["report"].get("candidates") or [],
                             _time.monotonic() - plan.created, directions=directions)
        cap = max(1, left["max_epochs"] // 2)
    probe = regress_epochs(plan, o, setup, training, say, max_epochs=cap)
    if probe is not None:
        setup["report"]["regress_epochs"] = probe
    budget = budget_epochs(plan, o, training, setup["report"].get("candidates") or [],
                           _time.monotonic() - plan.created, directions=directions)
    if budget is not None:
        setup["report"]["budget"] = budget
    with atomic_file(f) as tmp, open(tmp, "w") as fh:
        fh.write(json.dumps({k: setup[k] for k in ("restructure", "report", "model")}, indent=2,
                            default=json_default))
    return setup


def _ensemble(o, sm, ckpt, loaded, plan, setup, work, say):
    """With an ensemble of N > 1 (``ensemble=N``, or :func:`ensemble_for`'s rule): N - 1 more models
    from seeds ``seed + 1000 * i``, trained like the first (each checkpointed in its own part of
    ``work``, so a killed run resumes them too). Returns ``(model, record, seconds)``; ``model``
    averages the members' outputs.

    The rule's members (and with ``time_budget``, forced ones too) are counted once, when the first
    model has trained: as many as end by
    ``FIT_END_SHARE`` of the run's time (``time_budget``, else ``RUN_SECONDS``), each taking as long
    as the first model's epochs took. The count is saved in ``work`` (``ensemble.json``), so a
    resumed run trains the same members."""
    from ._choose import FIT_END_SHARE, fit_deadline, run_seconds

    training = setup["report"]["training"]
    k = int(training.get("ensemble") or 1)
    if k == 1:
        return sm, None, 0.0
    n, left_out, f = k, 0, work / "ensemble.json"
    if o.ensemble is None or o.time_budget:  # the rule's members, or any within a time budget: as many as fit
        if f.is_file():
            n = int(json.loads(f.read_text())["members"])
        else:
            per_model = max(ckpt.fit_seconds, 1e-3)
            room = fit_deadline(plan.created, o.time_budget) - time.monotonic()
            n = 1 + max(0, min(k - 1, int(room // per_model)))
            with atomic_file(f) as tmp:
                Path(tmp).write_text(json.dumps({"members": n, "chosen": k, "seconds_per_model": per_model}))
            if n < k:
                say(f"ensemble: {k - n} of {k} models left out: at {per_model:.0f} s a model they would end after "
                    f"{FIT_END_SHARE:.0%} of the run's {run_seconds(o.time_budget):g} s")
        left_out = k - n
    training["ensemble_trained"] = n  # saved with the model (seqfeed.json)
    seeds = [o.seed + 1000 * i for i in range(n)]
    if n > 1:
        say(f"ensemble: {n} models (seeds {', '.join(map(str, seeds))}), outputs averaged"
            + ("" if o.ensemble is not None else f" ({training['ensemble_why']})"))
    t0, members = time.time(), [sm]
    for i, seed in enumerate(seeds[1:], start=1):
        m = _build_model(o, loaded, plan, setup, seed=seed, name=f"member_{i}")
        _fit(o, m, plan, setup, work / f"member-{i}", say, seed=seed, member=i, epochs=ckpt.epochs)
        members.append(m)
    record = {"members": n, "seeds": seeds, "chosen": k, "why": training["ensemble_why"],
              **({"left_out": left_out} if left_out else {})}
    if n == 1:
        return sm, record, time.time() - t0
    return _averaged(sm, members), record, time.time() - t0


def _averaged(sm, members):
    """A SequenceModel like ``sm`` whose Keras model averages the members' outputs."""
    from ._lazy import keras
    from ._model import SequenceModel

    x = keras.Input(shape=(None, members[0].model.input["x"].shape[-1]), dtype="float32", name="x")
    mask = keras.Input(shape=(None,), dtype="bool", name="mask")
    outs = [m.model({"x": x, "mask": mask}) for m in members]
    model = keras.Model(inputs={"x": x, "mask": mask}, outputs=keras.layers.Average(name="ensemble_mean")(outs),
                        name=sm.model.name)
    return SequenceModel(model, task=sm.task, n_features=sm.n_features, classes=sm.classes,
                         feature_names=sm.feature_names, padding=sm.padding, scaler=sm.scaler, horizon=sm.horizon,
                         info=sm.info, restructure=sm.restructure)


def _build_model(o, loaded, plan, setup, seed=None, name=None):
    from .._version import __version__
    from ._lazy import keras
    from ._model import SequenceModel

    info = {"data": {"source": o.data_label, "options": loaded.options, "test": o.test_label},
            "task": o.task, "seqfeed_version": __version__, "seed": o.seed,
            "choice": setup["report"], "plan": plan.record()}
    seed = o.seed if seed is None else seed
    keras.utils.set_random_seed(seed)  # the model's initial state does not depend on the search
    m = setup["model"]
    sm = SequenceModel.for_data(plan.train_for_model(setup["scaler"]), o.task, units=o.units, layers=o.layers,
                                bidirectional=m["bidirectional"], dropout=m["dropout"], cell=o.cell,
                                pooling=m["pooling"] if o.task != "forecast" else "last",
                                scaler=None, learning_rate=o.lr, seed=seed, info=info,
                                restructure=setup["restructure"], name=name,
                                change_of=plan.target_index if m.get("change") else None)
    sm.scaler = setup["scaler"] if o.task != "forecast" else None
    return sm


def _fit(o, sm, plan, setup, work, say, seed=None, member=0, epochs=None):
    """The final fit (of ensemble member ``member``), checkpointed every epoch in ``work``; returns
    ``(checkpointer, fit_seconds)``. ``epochs`` (the members of an ensemble: the first model's epochs,
    extended or not) fixes the epochs: no extension is decided."""
    from ._callbacks import Checkpointer, ProgressBar, latest_checkpoint
    from ._choose import averaging_start, fit_deadline, run_seconds

    seed = o.seed if seed is None else seed
    work.mkdir(exist_ok=True)

    training = setup["report"]["training"]
    refit = training["refit"]
    train_set, val_set = plan.train_for_model(setup["scaler"]), plan.val_for_model(setup["scaler"])
    if refit:
        from ..core import SequenceSet

        train_set, val_set = SequenceSet.concat([train_set, val_set]), None
    extend = training.get("extend") if refit and epochs is None else None
    epochs = o.epochs if epochs is None else int(epochs)
    average_from = averaging_start(epochs) if refit else None
    if refit and not member:
        say(f"training on all {len(train_set)} training sequences (train + validation) for "
            f"{o.epochs} epochs; weights averaged over epochs {training['average_from'] + 1}..{o.epochs}"
            + (f" ({extend['to']} epochs if the training accuracy before averaging is below "
               f"{extend['below']:g})" if extend else ""))
    resume = o.resume and latest_checkpoint(work) is not None
    if o.resume and not resume and not member:
        say("the interrupted run saved no checkpoint yet: starting at epoch 1")
    run_limit = run_seconds(o.time_budget)
    ckpt = Checkpointer(work, patience=None if refit else o.patience, monitor="loss" if refit else "val_loss",
                        average_from=average_from, resume=resume, seed=seed, epochs=epochs, extend=extend,
                        on_extend=lambda e: say(_extension_message(e, run_limit)))
    ckpt.set_model(sm.model)  # also when a resumed run has no epoch left to train
    if hasattr(plan, "created") and not member:  # the run's wall time so far includes interrupted parts
        plan.created -= ckpt.run_seconds
        ckpt.started = plan.created
    if extend and hasattr(plan, "created"):  # an extension ends in time for evaluation and the baseline
        ckpt.extend = {**extend, "deadline": fit_deadline(plan.created, o.time_budget)}
    initial_epoch = 0
    if ckpt.resumed:
        ckpt.restore()
        initial_epoch = ckpt.epochs_done
        say(f"resuming {f'ensemble member {member + 1} ' if member else ''}at epoch {initial_epoch + 1} "
            f"(best so far {ckpt.best:.4f})")
    steps = len(sm.loader(sm.prepare(train_set), batching=o.batching, batch_size=o.batch,
                          max_tokens=o.max_tokens))
    # the same on a fresh run and on a resume (the compilation choice reads it)
    fit_epochs = extend["to"] if extend else epochs
    callbacks = [ckpt] + ([ProgressBar(epochs, steps, total=lambda: ckpt.epochs)] if o.verbose else [])
    t_fit = time.time()
    if initial_epoch < ckpt.epochs and not ckpt.stopped_early:
        sm.fit(train_set, validation=val_set, epochs=fit_epochs, batch_size=o.batch, batching=o.batching,
               max_tokens=o.max_tokens, seed=seed, callbacks=callbacks, verbose=0,
               initial_epoch=initial_epoch, crop=setup["model"]["crop"])
    ckpt.restore_best()
    return ckpt, time.time() - t_fit


def _extension_message(e: dict, run_limit: float) -> str:
    """What the underfitting rule decided, as the run prints it."""
    cut = f" ({e['wanted']} wanted; the rest do not fit in the run's {run_limit:g} s)" if e["to"] < e["wanted"] else ""
    return (f"training accuracy {e['train_accuracy']:.3f} over epochs {e['at_epoch'] - e['window'] + 1}.."
            f"{e['at_epoch']} is below {e['below']:g}: still underfitting, "
            + (f"so training goes on to {e['to']} epochs{cut}" if e["to"] > e["from"] else
               f"but {e['wanted'] - e['from']} more epochs do not fit in the run's {run_limit:g} s"))


def _write_out(o, sm, plan, metrics, setup, history, out, work) -> str:
    """The artefacts, written in WORK/result, then moved into place by replace_dir (whole or not at
    all); the checkpoints stay until the output is in place, so a kill at any moment can be resumed.
    Returns the model card's text."""
    import shutil

    from . import _plots
    from ._card import model_card

    result = work / "result"
    if result.exists():  # left by a killed run (we hold the lock)
        shutil.rmtree(result)
    result.mkdir()
    sm.model.save(result / "model.keras")
    (result / "seqfeed.json").write_text(json.dumps(sm.metadata(), indent=2, default=json_default))
    (result / "metrics.json").write_text(json.dumps(metrics, indent=2, default=json_default))
    (result / "history.json").write_text(json.dumps(history, indent=2))
    plots = _plots.write_all(result, sm, plan, metrics, history)
    card = model_card(sm, plan, metrics, setup, plots, o)
    (result / "README.md").write_text(card)
    fault_point("result:written")
    replace_dir(result, out)
    fault_point("result:placed")
    discard_dir(work)
    return card

