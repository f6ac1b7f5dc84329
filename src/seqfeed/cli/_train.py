"""``seqfeed train``, ``evaluate`` and ``predict``."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from .._version import __version__
from .._errors import ConfigError, DataError, SeqfeedError
from .._fs import DirLock, discard_dir, fault_point, is_seqfeed_dir, recover_dir, replace_dir
from ._card import baseline_headline as _baseline_headline
from ._data import check_targets, data_options, load, require_targets
from ._tasks import forecast_windows, naive_forecast, plan_forecast, plan_sequences, unscale_targets


def _say(args, msg):
    if not getattr(args, "quiet", False):
        print(msg, file=sys.stderr, flush=True)


# (low, high) inclusive bounds of the integer options; None: no bound on that side
INT_BOUNDS = {"epochs": (1, 100_000), "units": (1, 4096), "layers": (1, 64), "batch": (1, 65_536),
              "patience": (1, 100_000), "max_tokens": (1, 2**31 - 1), "window": (1, 1_000_000),
              "horizon": (1, 1_000_000), "test_size": (1, 2**31 - 1), "seed": (0, 2**32 - 1)}


def _check_train_args(args):
    """Every option value, checked before any data is read or TensorFlow is imported."""
    import math

    op = "seqfeed train"
    for name, (lo, hi) in INT_BOUNDS.items():
        v = getattr(args, name, None)
        if v is not None and not lo <= v <= hi:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{op}: {flag} must be between {lo} and {hi:,}. Received {v}.", argument=flag,
                              received=v, fix=f"pass {flag} with a value in {lo}..{hi}")
    for name in ("val_fraction", "test_fraction"):
        v = getattr(args, name)
        if not (math.isfinite(v) and 0 < v < 1):
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{op}: {flag} must be between 0 and 1. Received {v}.", argument=flag,
                              received=v, fix=f"pass {flag} with a fraction such as 0.2")
    if not (math.isfinite(args.lr) and 0 < args.lr <= 10):
        raise ConfigError(f"{op}: --lr must be a finite number > 0 (and <= 10). Received {args.lr}.",
                          argument="--lr", received=args.lr, fix="pass a learning rate such as --lr 0.003")
    if args.dropout is not None and not (math.isfinite(args.dropout) and 0 <= args.dropout < 1):
        raise ConfigError(f"{op}: --dropout must be in [0, 1). Received {args.dropout}.", argument="--dropout",
                          received=args.dropout, fix="pass --dropout 0.1, or 0 for none")
    if args.crop is not None and not (math.isfinite(args.crop) and 0 < args.crop <= 1):
        raise ConfigError(f"{op}: --crop must be in (0, 1]. Received {args.crop}.", argument="--crop",
                          received=args.crop, fix="pass a kept fraction such as --crop 0.8, or leave it out")
    if args.time_budget is not None and not (math.isfinite(args.time_budget) and args.time_budget > 0):
        raise ConfigError(f"{op}: --time-budget must be a number of seconds > 0. Received {args.time_budget}.",
                          argument="--time-budget", received=args.time_budget, fix="pass e.g. --time-budget 60")
    from ..transforms._restructure import parse_restructure

    if args.frame != "auto":
        parse_restructure(args.frame)


def _seed_everything(seed: int):
    from ..keras._lazy import keras, tf

    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # pragma: no cover - older TF
        pass


def run_train(args) -> int:
    _check_train_args(args)
    from ._shards_train import is_shards_path, run_train_shards

    if is_shards_path(args.data):  # sequence shards: streamed (and --workers N) training
        return _train_shards_into_out(args, run_train_shards)
    if (getattr(args, "workers", 1) or 1) != 1:
        raise ConfigError(f"seqfeed train: --workers {args.workers} needs sequence shards; {args.data!r} is not a "
                          "shards directory.", argument="--workers", received=args.workers,
                          fix=f"pack the data first (seqfeed pack {args.data} --id ... --time ... --out SHARDS/), "
                              "then train on SHARDS/; or leave out --workers")
    t_start = time.time()
    opts = data_options(args)
    task = args.task
    loaded = load(args.data, task=task, options=opts)
    test_loaded = None
    if args.test:  # the test file's features matched by name with the training data's, before any training
        names = loaded.seqs.feature_names
        test_loaded = load(args.test, task=task, options={
            **opts, "model_features": list(names) if names else None,
            "features_source": f"the training data {args.data} has the features"})
    if task != "forecast":
        for part in (loaded, test_loaded):
            if part is not None:
                check_targets(part, task)  # before TensorFlow is imported

    out, work, lock = claim_out(args)  # before TensorFlow is imported, before any training
    try:
        return _train_into(args, loaded, test_loaded, out, work, t_start)
    except SeqfeedError:
        # a bad option or data found before the first checkpoint: nothing to resume, so the rerun
        # with the corrected command needs no --force
        if work.is_dir() and not any(p.name.startswith("ckpt-") for p in work.iterdir()):
            discard_dir(work)
        raise
    finally:
        lock.release()


def _train_shards_into_out(args, run) -> int:
    """The ``--out`` rules for training on shards (written by ``SequenceModel.save``, no checkpoints).

    The lock is taken on one host only: with ``TF_CONFIG`` every host of a cluster runs the same
    command with the same ``--out``.
    """
    _, _, lock = claim_out(args, work_dir=False, lock="TF_CONFIG" not in os.environ)
    try:
        return run(args)
    finally:
        lock.release()


def claim_out(args, *, work_dir: bool = True, lock: bool = True):
    """Check ``--out``, lock it against a second run, and prepare the work directory.

    Rules (nothing seqfeed did not write is ever deleted):

    * an existing file or symbolic link as ``--out``: error, even with ``--force``;
    * an existing seqfeed output (a directory with ``seqfeed.json``) or an empty
      directory: error unless ``--force`` or ``--resume``; it is then replaced only
      when the new output is complete, by :func:`seqfeed._fs.replace_dir`;
    * any other existing directory: error, even with ``--force``;
    * ``OUT.partial`` (the checkpoints of an interrupted run): ``--resume``
      continues it; without ``--resume`` it is an error unless ``--force``, which
      discards it.

    The lock (``.OUT.lock`` next to ``--out``, an ``flock`` the kernel drops when the
    process dies) is held until the run ends; a second run into the same ``--out``
    fails at once naming the first one's pid. Returns ``(out, work, lock)``; ``work`` is None
    with ``work_dir=False`` (no checkpoints), and ``lock=False`` takes no lock.
    """
    op = "seqfeed train"
    force, resume = bool(getattr(args, "force", False)), bool(args.resume)
    out = Path(os.path.abspath(args.out))
    if not out.name or out.name in (".", ".."):
        raise ConfigError(f"{op}: --out {args.out!r} names no directory.", argument="--out", received=args.out,
                          fix="pass a new directory for the model, e.g. --out runs/m1")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{op}: cannot create the parent directory of --out {args.out}: {e.strerror}.",
                          argument="--out", received=args.out, fix="choose another --out") from None
    held = DirLock(out.with_name(f".{out.name}.lock"), what=f"{op}: --out {args.out}", argument="--out")
    if lock:
        held.acquire()
    try:
        work = _check_out(args, out, op, force=force, resume=resume, work_dir=work_dir)
    except BaseException:
        held.release()
        raise
    return out, work, held


def _check_out(args, out, op, *, force, resume, work_dir=True):
    if recover_dir(out) == "restored":
        _say(args, f"--out {args.out}: put back the previous output that a killed run had moved aside")
    if os.path.lexists(out):
        if out.is_symlink():
            raise ConfigError(f"{op}: --out {args.out} is a symbolic link; seqfeed writes a new directory and "
                              f"does not replace links.", argument="--out", received=args.out,
                              fix="choose another --out")
        if not out.is_dir():
            raise ConfigError(f"{op}: --out {args.out} is an existing file; seqfeed writes a directory and never "
                              f"deletes a file it did not create (not even with --force).", argument="--out",
                              received=args.out, fix="choose another --out, or move the file away")
        if is_seqfeed_dir(out):
            if not (force or resume):
                raise ConfigError(f"{op}: --out {args.out} already holds a trained seqfeed model.",
                                  argument="--out", received=args.out,
                                  fix="add --force to replace it (the old one is removed only once the new one "
                                      "is complete), or choose another --out")
        elif any(out.iterdir()):
            raise ConfigError(f"{op}: --out {args.out} is a directory that seqfeed did not write (it has no "
                              f"seqfeed.json); seqfeed never replaces it, not even with --force.",
                              argument="--out", received=args.out,
                              fix="choose another --out, or move that directory away")
        elif not (force or resume):
            raise ConfigError(f"{op}: --out {args.out} already exists (an empty directory).", argument="--out",
                              received=args.out, fix="add --force to write the model there, or choose another --out")
    if not work_dir:
        return None
    work = out.with_name(out.name + ".partial")
    recover_dir(work)  # a work directory half-removed by a killed run
    ours = work.is_dir() and not work.is_symlink() and (work / "args.json").is_file()
    if os.path.lexists(work) and not ours:
        raise ConfigError(f"{op}: {work} exists and was not written by seqfeed; seqfeed keeps the checkpoints "
                          f"of --out {args.out} there.", argument="--out", received=str(work),
                          fix="move it away, or choose another --out")
    record = json.loads(json.dumps(_arg_record(args)))
    if resume:
        if not ours:
            raise ConfigError(f"seqfeed train: nothing to resume: {work} does not exist.", argument="--resume",
                              fix="run without --resume to start a new training run")
        saved = json.loads((work / "args.json").read_text())
        if saved != record:
            raise ConfigError("seqfeed train: --resume needs the same command as the interrupted run; the "
                              "arguments differ.", argument="--resume",
                              fix="repeat the interrupted command exactly, adding --resume (differences: "
                                  + ", ".join(sorted(k for k in set(saved) | set(record)
                                                     if saved.get(k) != record.get(k))) + ")")
        return work
    if ours:
        # a run killed before its first checkpoint trained nothing worth keeping
        if not force and any(p.name.startswith("ckpt-") for p in work.iterdir()):
            raise ConfigError(f"{op}: {work} holds the checkpoints of an interrupted run into --out {args.out}.",
                              argument="--out", received=str(work),
                              fix="add --resume to continue it (same command), or --force to discard it and "
                                  "start over")
        discard_dir(work)
    tmp = work.with_name(f".{work.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    (tmp / "args.json").write_text(json.dumps(record, indent=2))
    os.replace(tmp, work)  # the work directory appears with its args.json, so it is always recognisable
    return work


def _choose_or_reuse_setup(plan, args, work):
    """The restructuring/scaling choice; a resumed run reuses the interrupted run's (the search is
    timed, so running it again could choose differently)."""
    from ._choose import choose_setup
    from ._tasks import build_scaler

    f = work / "setup.json"
    if f.is_file():
        saved = json.loads(f.read_text())
        rep = saved["report"]
        scaler = build_scaler(plan.scaler_data(), rep["normalize"]["chosen"], rep["log_transform"]["chosen"])
        _say(args, f"input: {rep['restructure']['chosen']}; scaling: {rep['normalize']['chosen']} "
                   f"(as chosen by the interrupted run)")
        return {"scaler": scaler, "restructure": saved["restructure"], "report": rep, "model": saved["model"]}
    setup = choose_setup(plan, args, say=lambda m: _say(args, m))
    tmp = work / ".setup.json.tmp"
    tmp.write_text(json.dumps({k: setup[k] for k in ("restructure", "report", "model")}, indent=2,
                              default=_json_default))
    os.replace(tmp, f)
    return setup


def _train_into(args, loaded, test_loaded, out, work, t_start) -> int:
    task = args.task
    _seed_everything(args.seed)
    if task == "forecast":
        plan = plan_forecast(loaded, test_loaded, args)
    else:
        plan = plan_sequences(loaded, test_loaded, args)
    _say(args, plan.summary())

    from ..keras import SequenceModel
    from ._choose import choose_training

    training = choose_training(plan, args)
    args.batch, args.epochs = training["batch"], training["epochs"]
    setup = _choose_or_reuse_setup(plan, args, work)
    setup["report"]["training"] = training
    scaler = setup["scaler"]
    info = {
        "data": {"source": args.data, "options": loaded.options, "test": args.test},
        "task": task, "seqfeed_version": __version__, "seed": args.seed,
        "choice": setup["report"], "plan": plan.record(),
    }
    from ..keras._lazy import keras

    keras.utils.set_random_seed(args.seed)  # the model's initial state does not depend on the search above
    sm = SequenceModel.for_data(task, plan.train_for_model(scaler), units=args.units, layers=args.layers,
                                bidirectional=setup["model"]["bidirectional"], dropout=setup["model"]["dropout"],
                                cell=args.cell,
                                pooling=setup["model"]["pooling"] if task != "forecast" else "last",
                                scaler=None, learning_rate=args.lr, seed=args.seed, info=info,
                                restructure=setup["restructure"])
    sm.scaler = scaler if task != "forecast" else None
    train_set = plan.train_for_model(scaler)
    val_set = plan.val_for_model(scaler)
    refit = training["refit"]
    if refit:
        from ..core import SequenceSet

        train_set, val_set = SequenceSet.concat([train_set, val_set]), None
        _say(args, f"training on all {len(train_set)} training sequences (train + validation) for "
                   f"{args.epochs} epochs; weights averaged over epochs {training['average_from'] + 1}.."
                   f"{args.epochs}")

    from ._callbacks import Checkpointer, ProgressBar, latest_checkpoint

    resume = bool(args.resume) and latest_checkpoint(work) is not None
    if args.resume and not resume:
        _say(args, "the interrupted run saved no checkpoint yet: starting at epoch 1")
    ckpt = Checkpointer(work, patience=None if refit else args.patience, monitor="loss" if refit else "val_loss",
                        average_from=training["average_from"] if refit else None, resume=resume, seed=args.seed)
    ckpt.set_model(sm.model)  # also when a resumed run has no epoch left to train
    if hasattr(plan, "created"):  # the run's wall time so far (the baseline's budget) includes interrupted parts
        plan.created -= ckpt.run_seconds
        ckpt.started = plan.created
    initial_epoch = 0
    if ckpt.resumed:
        ckpt.restore()
        initial_epoch = ckpt.epochs_done
        _say(args, f"resuming at epoch {initial_epoch + 1} (best so far {ckpt.best:.4f})")
    steps = len(sm.loader(sm.prepare(train_set), batching=args.batching, batch_size=args.batch,
                          max_tokens=args.max_tokens))
    callbacks = [ckpt] + ([] if args.quiet else [ProgressBar(args.epochs, steps)])
    t_fit = time.time()
    if initial_epoch < args.epochs and not ckpt.stopped_early:
        sm.fit(train_set, validation=val_set, epochs=args.epochs, batch_size=args.batch, batching=args.batching,
               max_tokens=args.max_tokens, seed=args.seed, callbacks=callbacks, verbose=0,
               initial_epoch=initial_epoch, crop=setup["model"]["crop"])
    ckpt.restore_best()
    fit_seconds = time.time() - t_fit

    metrics = evaluate_plan(sm, plan, scaler)
    metrics.update({"epochs_run": len(ckpt.history.get("loss", [])),
                    "best_epoch": None if refit else ckpt.best_epoch + 1,
                    "averaged_epochs": ckpt.n_averaged if refit else None,
                    "stopped_early": ckpt.stopped_early, "fit_seconds": round(fit_seconds, 2),
                    "total_seconds": round(time.time() - t_start, 2)})
    if task == "forecast":
        sm.info["forecast_scaler"] = scaler.to_dict()
    # ---- artefacts, written in WORK/result, then moved into place by replace_dir (whole or not at all);
    # the checkpoints stay until the output is in place, so a kill at any moment can be resumed
    result = work / "result"
    if result.exists():  # left by a killed run (we hold the lock)
        shutil.rmtree(result)
    result.mkdir()
    sm.model.save(result / "model.keras")
    (result / "seqfeed.json").write_text(json.dumps(sm.metadata(), indent=2, default=_json_default))
    (result / "metrics.json").write_text(json.dumps(metrics, indent=2, default=_json_default))
    (result / "history.json").write_text(json.dumps(ckpt.history, indent=2))
    from . import _plots

    plots = _plots.write_all(result, sm, plan, metrics, ckpt.history)
    from ._card import model_card

    (result / "README.md").write_text(model_card(sm, plan, metrics, setup, plots, args))
    fault_point("result:written")
    replace_dir(result, out)
    fault_point("result:placed")
    discard_dir(work)
    _print_metrics(task, metrics, args.out)
    return 0


def _arg_record(args) -> dict:
    """The options that define a training run (what --resume must repeat exactly)."""
    return {k: v for k, v in vars(args).items() if k not in ("resume", "force", "quiet", "debug", "func")}


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def evaluate_plan(sm, plan, scaler, *, baseline_budget: float | None = None) -> dict:
    """Test metrics of a trained model on the plan's test data, with the strongest affordable baseline.

    The baseline (see :func:`seqfeed.baselines.choose_baseline`) runs on the same split (training +
    validation sequences against the same test sequences; forecasting: the same test windows) within
    ``baseline_budget`` seconds, by default :func:`baseline_budget_for` (10% of the training's
    *estimated* duration, at least 5 s: an estimate from the data and the chosen setup, not the wall
    clock, so that the same command always picks the same baseline, whatever the machine's load and
    whether or not the run was interrupted). It is recorded as ``metrics["baseline"]`` with the gap to
    the model and, when it scores better, ``beats_model: true`` and what to try.
    """
    from .. import metrics as M

    if baseline_budget is None:
        baseline_budget = baseline_budget_for(sm, plan)
    if sm.task == "forecast":
        pred = unscale_targets(scaler, np.asarray(sm.predict_raw(plan.test_for_model(scaler))), plan)
        y = plan.test_targets
        naive = naive_forecast(plan.test_windows, plan)
        out = {"n_test": int(len(y)), "mae": M.mae(y, pred), "rmse": M.rmse(y, pred),
               "naive_mae": M.mae(y, naive), "naive_rmse": M.rmse(y, naive)}
        out["mae_vs_naive"] = out["mae"] / out["naive_mae"] if out["naive_mae"] else None
        plan.test_predictions = pred
        _add_baseline(out, sm, plan, baseline_budget)
        return out
    res = sm.evaluate(plan.test)
    res = {("n_test" if k == "n" else k): v for k, v in res.items()}
    res.update(plan.baselines())
    if sm.task == "classify":
        y = sm.encode_labels(plan.test.targets, "evaluate")
        p = sm.encode_labels(sm.predict(plan.test), "evaluate")
        res["confusion_matrix"] = M.confusion_matrix(y, p, sm.classes.size).tolist()
        res["classes"] = sm.classes.tolist()
    _add_baseline(res, sm, plan, baseline_budget)
    return res


BASELINE_SHARE = 0.1  # of the training's estimated duration
BASELINE_MIN_SECONDS = 5.0  # small data always gets its 1-NN DTW


def baseline_budget_for(sm, plan) -> float:
    """Seconds the cheap baseline may take: ``BASELINE_SHARE`` of the training's estimated duration.

    The estimate is the one `SequenceModel.fit` made for its XLA decision (``info["compilation"]``:
    step-time constants x the batch shapes x epochs); when fit did not run in this process (a resumed
    run with no epoch left), the same step-time model is applied to length-sorted batches of the
    training sequences. It depends only on the data and the setup, never on the wall clock.
    """
    from ..batching._shapes import step_seconds

    rec = sm.info.get("compilation") or {}
    est = rec.get("xla_s") if rec.get("jit_compile") else rec.get("graph_s")
    if est is None:
        training = (sm.info.get("choice") or {}).get("training") or {}
        epochs, batch = int(training.get("epochs") or 1), int(training.get("batch") or 32)
        L = np.sort(np.asarray(plan.train.lengths if hasattr(plan, "train") else [], dtype=np.int64))
        shapes = [(int(c.size), int(c[-1])) for c in np.array_split(L, max(1, -(-L.size // batch)))
                  if c.size]
        est = epochs * step_seconds(shapes, "graph")
    return max(BASELINE_MIN_SECONDS, BASELINE_SHARE * float(est))


def _model_name(sm) -> str:
    return "GRU" if any("gru" in layer.name for layer in sm.model.layers) else "LSTM"


def _add_baseline(res: dict, sm, plan, budget: float) -> None:
    """``res["baseline"]``: the baseline's record, the model's score beside it, and what to try."""
    base = plan.baseline(budget)
    if base is None or base.get("name") is None:
        if base is not None:
            res["baseline"] = base
        return
    key = "accuracy" if sm.task == "classify" else "mae"
    if key not in res or key not in base:
        return
    higher = key == "accuracy"
    model, ref = float(res[key]), float(base[key])
    base.update(metric=key, model_name=_model_name(sm), model_score=model, gap=model - ref,
                beats_model=bool(ref > model if higher else ref < model))
    if base["beats_model"]:
        tips = []
        from ._choose import LONG, msconv_size

        median = float(np.median(plan.train.lengths))
        kind = (sm.restructure or {}).get("kind", "none")
        if sm.task == "forecast":
            tips.append(f"another --window (this run: {plan.window})")
        elif median > LONG and kind != "msconv":
            tips.append(f"--frame msconv:{msconv_size(median)}")
        tips.append("more --epochs")
        tips.append(f"or use the baseline (seqfeed.baselines.{base['method']})")
        base["try"] = tips
    res["baseline"] = base


def _print_metrics(task, metrics, out):
    headline = _baseline_headline(metrics)
    if headline:
        print(headline)
    keys = ("accuracy", "macro_f1") if task in ("classify", "tag") else ("mae", "rmse")
    parts = [f"{k} {metrics[k]:.4f}" for k in keys if k in metrics]
    extra = ""
    if task == "forecast" and metrics.get("naive_mae") is not None:
        extra = f" (naive last value: mae {metrics['naive_mae']:.4f})"
    b = metrics.get("baseline") or {}
    if b.get("name"):
        bkeys = [k for k in ("accuracy", "mae", "rmse") if k in b and k in keys]
        extra += (f"; baseline {b['name']}: {', '.join(f'{k} {b[k]:.4f}' for k in bkeys)} "
                  f"({b['seconds']:.1f}s)")
    elif b.get("error"):
        extra += f"; baseline not computed: {b['error']}"
    print(f"test: {', '.join(parts)}{extra}  ->  {out}")


# ----------------------------------------------------------------------------------------------
def _model_meta(model_dir) -> dict:
    """The ``seqfeed.json`` of a model directory, read without TensorFlow."""
    path = Path(model_dir)
    fix = "pass the --out directory of `seqfeed train`"
    if not path.is_dir():
        what = "is a file, not a directory" if path.exists() else "does not exist"
        raise ConfigError(f"seqfeed: model directory {model_dir} {what}.", argument="MODEL_DIR",
                          received=str(model_dir), fix=fix)
    meta_file = path / "seqfeed.json"
    if not meta_file.is_file() or not (path / "model.keras").is_file():
        raise ConfigError(f"seqfeed: {model_dir} is not a seqfeed model directory (it needs seqfeed.json and "
                          f"model.keras).", argument="MODEL_DIR", received=str(model_dir), fix=fix)
    try:
        meta = json.loads(meta_file.read_text())
        meta["task"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise DataError(f"seqfeed: {meta_file} is damaged (not the JSON that `seqfeed train` writes).",
                        argument="MODEL_DIR", received=str(meta_file), fix="train the model again") from None
    return meta


def _load_model(model_dir):
    from ..keras import SequenceModel

    try:
        return SequenceModel.load(model_dir)
    except (OSError, ValueError, KeyError) as e:
        from .._errors import SeqfeedError

        if isinstance(e, SeqfeedError):
            raise
        raise DataError(f"seqfeed: cannot load the model in {model_dir}: {' '.join(str(e).split())[:160]}.",
                        argument="MODEL_DIR", received=str(model_dir),
                        fix="train the model again; model.keras is damaged or from another Keras version") from None


def _data_for_model(meta, spec, args=None, *, with_target: bool = True):
    """Read new data for a trained model: its column names by default (the flags override them);
    features matched by the names saved with the model, in any order; for predictions no target."""
    saved = dict((meta.get("info") or {}).get("data", {}).get("options", {}))
    opts = {k: saved.get(k) for k in ("id", "time", "target", "features", "nan", "duplicates")}
    for key, attr in (("id", "id_col"), ("time", "time_col"), ("target", "target_col"), ("nan", "nan"),
                      ("duplicates", "duplicates")):
        if getattr(args, attr, None) is not None:
            opts[key] = getattr(args, attr)
    opts["id"] = opts["id"] or "id"
    opts["time"] = opts["time"] or "time"
    opts["nan"] = opts["nan"] or "error"
    opts["duplicates"] = opts["duplicates"] or "error"
    opts["missing_targets"] = "drop" if getattr(args, "drop_missing_targets", False) else "error"
    if meta.get("feature_names"):
        opts["model_features"] = list(meta["feature_names"])
    if not with_target and meta["task"] != "forecast":
        opts["no_target"] = True
    return load(spec, task=meta["task"], options=opts)


def run_evaluate(args) -> int:
    meta = _model_meta(args.model_dir)
    loaded = _data_for_model(meta, args.data, args, with_target=True)
    if meta["task"] != "forecast":
        require_targets(loaded, meta["task"])
    sm = _load_model(args.model_dir)  # TensorFlow only once the data is known to be usable
    if sm.task == "forecast":
        from ..transforms import Standardizer

        scaler = Standardizer.from_dict(sm.info["forecast_scaler"])
        rec = sm.info["plan"]
        X, y, wins = forecast_windows(loaded.seqs, window=rec["window"], horizon=rec["horizon"],
                                      target_index=rec["target_index"])
        if not len(X):
            raise DataError(f"seqfeed evaluate: {args.data} is too short for one window of {rec['window']} "
                            f"steps plus {rec['horizon']} to forecast.", argument="data",
                            fix=f"pass series of at least {rec['window'] + rec['horizon']} steps")
        from .. import metrics as M

        Xs = scaler.transform(X)
        pred = unscale_targets(scaler, np.asarray(sm.predict_raw(Xs)), rec)
        naive = np.repeat(X.values[X.offsets[1:] - 1, rec["target_index"]][:, None], rec["horizon"], axis=1)
        res = {"n": int(len(y)), "mae": M.mae(y, pred), "rmse": M.rmse(y, pred), "naive_mae": M.mae(y, naive)}
    else:
        res = sm.evaluate(loaded.seqs)
    if loaded.dropped_ids:
        res["dropped_missing_targets"] = len(loaded.dropped_ids)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:>10}: {v:.4f}" if isinstance(v, float) else f"{k:>10}: {v}")
    return 0


def run_predict(args) -> int:
    import pyarrow as pa

    out = Path(args.output)
    if not out.name.lower().endswith((".csv", ".parquet", ".pq")):
        raise ConfigError(f"seqfeed predict: -o must end in .csv or .parquet. Received {args.output!r}.",
                          argument="-o", received=args.output, fix="pass -o predictions.csv")
    if out.is_dir():
        raise ConfigError(f"seqfeed predict: -o {args.output} is a directory.", argument="-o",
                          received=args.output, fix="pass a file name, e.g. -o predictions.csv")
    meta = _model_meta(args.model_dir)
    loaded = _data_for_model(meta, args.data, args, with_target=False)
    sm = _load_model(args.model_dir)  # TensorFlow only once the data is known to be usable
    id_name = loaded.options.get("id") if loaded.options.get("format") == "table" else None
    id_name = id_name or "id"
    seqs = loaded.seqs
    ids = seqs.ids if seqs.ids is not None else np.arange(len(seqs))
    cols = {}
    if sm.task == "classify":
        raw = sm.predict_raw(seqs)
        cols[id_name] = ids
        cols["prediction"] = sm.classes[np.argmax(raw, axis=1)]
        for k, c in enumerate(sm.classes):
            cols[f"prob_{c}"] = raw[:, k]
    elif sm.task == "regress":
        raw = np.asarray(sm.predict(seqs))
        cols[id_name] = ids
        if raw.ndim == 1:
            cols["prediction"] = raw
        else:
            for k in range(raw.shape[1]):
                cols[f"prediction_{k}"] = raw[:, k]
    elif sm.task == "tag":
        pred = sm.predict(seqs)
        cols[id_name] = np.repeat(ids, seqs.lengths)
        cols["step"] = np.concatenate([np.arange(n) for n in seqs.lengths])
        cols["prediction"] = np.concatenate(pred) if pred else np.array([])
    else:
        from ..transforms import Standardizer

        scaler = Standardizer.from_dict(sm.info["forecast_scaler"])
        rec = sm.info["plan"]
        W, H = rec["window"], rec["horizon"]
        short = np.flatnonzero(seqs.lengths < W)
        if short.size:
            i = int(short[0])
            raise DataError(f"seqfeed predict: series {ids[i]!r} has {int(seqs.lengths[i])} steps; the model "
                            f"needs the last {W}.", argument="data", index=i)
        last = seqs.take(np.arange(len(seqs)))
        starts = last.offsets[1:] - W
        from ..core import gather_index

        vals = last.values[gather_index(starts, np.full(len(seqs), W), W * len(seqs))]
        from ..core import SequenceSet

        X = SequenceSet(vals, np.arange(len(seqs) + 1) * W)
        pred = unscale_targets(scaler, np.asarray(sm.predict_raw(scaler.transform(X))), rec)
        cols[id_name] = np.repeat(ids, H)
        cols["step_ahead"] = np.tile(np.arange(1, H + 1), len(seqs))
        cols["forecast"] = pred.reshape(-1)
    table = pa.table({k: pa.array(np.asarray(v).tolist() if np.asarray(v).dtype.kind in "OU" else v)
                      for k, v in cols.items()})
    tmp = out.with_name(f".{out.name}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.name.lower().endswith(".csv"):
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, tmp)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, tmp)
    os.replace(tmp, out)
    print(f"{table.num_rows} rows -> {out}")
    return 0
