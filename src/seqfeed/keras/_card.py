"""The model card (README.md) written next to a trained model."""

from __future__ import annotations

import datetime as _dt
from .._version import __version__
from ._evaluate import baseline_headline


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _compilation_line(sm) -> str:
    """Whether the train step was compiled with XLA, and why (``SequenceModel.info["compilation"]``)."""
    rec = sm.info.get("compilation") or {}
    if not rec:
        return "- XLA: not recorded"
    if rec.get("fused"):
        return f"- compiled kernel: **fused LSTM** (per-batch padding, graph mode, no XLA) -- {rec.get('why')}"
    if rec.get("jit_compile"):
        how = ("the sampler's own batches, short ones filled with masked zero-weight rows, and the recurrent "
               "loop stopping at each batch's last real step" if rec.get("bounded_loop") else
               "shape buckets, short batches filled with masked zero-weight rows")
        det = f"; {rec['determinism']}" if rec.get("determinism") else ""
        return (f"- XLA: **yes**, the train step was compiled (`jit_compile=True`) for {rec.get('shapes')} fixed "
                f"batch shapes ({how}) -- {rec.get('why')}{det}")
    return f"- XLA: **no** (per-batch padding, graph mode) -- {rec.get('why')}"


def _crop_text(setup) -> str:
    crop, why = setup["model"]["crop"], setup["report"]["model"].get("crop_why", "")
    head = f"**random crops of at least {crop:.0%}** of each sequence per epoch" if crop else "none (whole sequences)"
    return f"{head} -- {why}" if why else head


def model_card(sm, plan, metrics, setup, plots, args) -> str:
    """The README.md of a run; ``args`` holds the options and ``data_label``, ``test_label``, ``out``."""
    rep = setup["report"]
    tr = rep.get("training", {})
    lines = [f"# seqfeed model: {sm.task} on `{args.data_label}`", ""]
    headline = baseline_headline(metrics)
    if headline:
        lines += [f"> **{headline}**", ""]
    lines += ["## What was trained", "",
              f"- task: **{sm.task}**; data: `{args.data_label}`"
              + (f", test data `{args.test_label}`" if args.test_label else ""),
              f"- {plan.summary().removeprefix('data: ')}",
              f"- model: {'bidirectional ' if setup['model']['bidirectional'] else ''}{args.cell.upper()} x "
              f"{args.layers} layer(s), {args.units} units, dropout {setup['model']['dropout']}, pooling "
              f"{setup['model']['pooling']}; inputs `x` and a length `mask` ({sm.padding} padding), so padding "
              f"cannot change a prediction",
              *([f"- training crops: {_crop_text(setup)}"] if sm.task in ("classify", "regress") else []),
              f"- batches: {args.batching}, {args.batch} sequences ({tr.get('batch_why', '')}); Adam lr "
              f"{args.lr}; seed {args.seed}",
              (f"- final fit: **training + validation data** ({tr.get('n_train_and_val')} sequences), "
               f"{metrics.get('epochs_run')} epochs ({tr.get('epochs_why', '')}{_extended_text(metrics, tr)}), "
               f"weights averaged over the last {metrics.get('averaged_epochs')} -- {tr.get('refit_why', '')}"
               if tr.get("refit") else
               f"- early stopping on validation loss (patience {args.patience}; {tr.get('refit_why', '')}): "
               f"epochs run {metrics.get('epochs_run')} of {args.epochs} (best {metrics.get('best_epoch')})"),
              *([_ensemble_text(metrics["ensemble"])] if metrics.get("ensemble") else []),
              _compilation_line(sm),
              f"- training {metrics.get('fit_seconds')} s, whole command {metrics.get('total_seconds')} s", ""]
    lines += ["## Input structure and scaling (chosen on the validation split)", "",
              f"- restructuring: **{rep['restructure']['chosen']}** -- {rep['restructure']['why']}",
              f"- scaling: **{rep['normalize']['chosen']}** -- {rep['normalize']['why']}; fitted on the "
              f"training split only",
              f"- log transform: **{'yes' if rep['log_transform']['chosen'] else 'no'}** -- "
              f"{rep['log_transform']['why']}",
              f"- model recipe: {rep['model']['why']}"]
    if rep.get("forecast_change"):
        fc = rep["forecast_change"]
        what = "the change from the last observed value" if fc["chosen"] else "absolute levels"
        lines.append(f"- forecasts: **{what}** -- {fc['why']}")
    if rep.get("candidates"):
        lines += ["", "| candidate | scaling | validation score | validation log loss | seconds |",
                  "|---|---|---|---|---|"]
        for c in rep["candidates"]:
            score = "skipped (time budget)" if c.get("val_score") is None else _fmt(c["val_score"])
            what = c["restructure"] + ({True: ", change from the last value", False: ", absolute levels"}
                                       .get(c.get("forecast_change"), ""))
            lines.append(f"| {what} | {c['normalize']} | {score} | {_fmt(c.get('val_log_loss', ''))} "
                         f"| {c.get('seconds', '')} |")
        lines.append("")
        lines.append("Scores: accuracy (classification, tagging; ties broken by the lower log loss) or minus the "
                     "mean absolute error. The scalings are scored with the first restructuring, the other "
                     "restructurings with the chosen scaling; in classification, a candidate replaces global scaling "
                     "or the first restructuring only with a validation accuracy more than one standard error "
                     "(sqrt(p(1-p)/n)) higher.")
    lines += ["", "## How well (held-out test data)", "", "| metric | value |", "|---|---|"]
    for k, v in metrics.items():
        if k in ("confusion_matrix", "classes") or isinstance(v, (list, dict)):
            continue
        lines.append(f"| {k} | {_fmt(v)} |")
    lines += [""] + baseline_lines(metrics) + [""]
    for name in plots.values():
        lines.append(f"![{name}]({name})")
    lines += ["", "## Columns new data must have", ""] + input_columns(sm, args)
    out = str(args.out) if args.out else "MODEL_DIR"
    lines += ["", "## Use it", "", "```sh",
              f"seqfeed evaluate {out} NEW_DATA",
              f"seqfeed predict {out} NEW_DATA -o predictions.csv", "```", "",
              "```python", "from seqfeed.keras import SequenceModel",
              f"model = SequenceModel.load({out!r})", "```", "",
              (f"Command: `{args.command}`  " if args.command else "Trained with `seqfeed.keras.train`  "),
              f"seqfeed {__version__}, {_dt.date.today().isoformat()}", ""]
    return "\n".join(lines)


def baseline_lines(metrics) -> list[str]:
    """The baseline beside the model, as Markdown (empty for tagging, which has none)."""
    b = metrics.get("baseline")
    if not b:
        return []
    if not b.get("name"):
        return [f"Baseline: not computed ({b.get('error', 'no baseline for this task')})."]
    keys = [k for k in ("accuracy", "mae", "rmse") if k in b]
    model = b.get("model_name", "LSTM")
    lines = [f"### Baseline on the same split: {b['name']}", "",
             f"| metric | this {model} | {b['name']} |", "|---|---|---|"]
    for k in keys:
        lines.append(f"| {k} | {_fmt(metrics.get(k, ''))} | {_fmt(b[k])} |")
    if "mean_mae" in b:
        lines.append(f"| mae of the training mean | | {_fmt(b['mean_mae'])} |")
    verdict = ""
    if "beats_model" in b:
        verdict = (f" **The baseline scores better** ({b['metric']} gap {b['gap']:+.4f}); try: "
                   f"{', '.join(b.get('try', []))}." if b["beats_model"] else
                   f" The model scores better ({b['metric']} gap {b['gap']:+.4f}).")
    lines += ["", f"`seqfeed.baselines.{b['method']}` on {b['values']} ({b['n_train']} training, "
                  f"{b['n_test']} test), chosen by `choose_baseline` on the training data alone within a budget "
                  f"of {b['budget_seconds']:.1f} s (10% of the training time); it took {b['seconds']} s.{verdict}"]
    return lines


def input_columns(sm, args) -> list[str]:
    """What `seqfeed evaluate` and `seqfeed predict` need from a new file, as Markdown bullets."""
    opts = (sm.info.get("data") or {}).get("options") or {}
    names = list(sm.feature_names or [])
    feats = ", ".join(f"`{n}`" for n in names) if names else f"{sm.n_features} feature(s), in training order"
    if opts.get("format") != "table":
        return [f"- the same layout as `{args.data_label}` ({opts.get('format', 'file')}); features: {feats}"]
    target = opts.get("target")
    lines = [f"- id column `{opts.get('id') or 'id'}` and time column `{opts.get('time') or 'time'}` "
             f"(other names: `--id`, `--time`)",
             f"- feature columns {feats}: matched **by name**, in any order; other columns are ignored"]
    if sm.task == "forecast":
        lines.append(f"- `predict` forecasts `{target}` from the last "
                     f"{(sm.info.get('plan') or {}).get('window')} steps of each series")
    elif target:
        lines.append(f"- target column `{target}`: needed by `evaluate`; `predict` ignores it if present")
    return lines


def _extended_text(metrics: dict, training: dict) -> str:
    """The underfitting rule's part of the final-fit line: what it decided, or what it would have."""
    e, ext = metrics.get("extension"), training.get("extend")
    if e:
        low = (f"the training accuracy over epochs {e['at_epoch'] - e['window'] + 1}..{e['at_epoch']} was "
               f"{e['train_accuracy']:.3f}, below {e['below']:g}, so the model was still underfitting")
        if e["to"] > e["from"]:
            return f"; extended from {e['from']}: {low}" + (
                f" (to {e['to']} of {e['wanted']} epochs: what fitted in the run's time)" if e["to"] < e["wanted"]
                else "")
        return (f"; not extended although {low}: {e['wanted'] - e['from']} more epochs at "
                f"{e['seconds_per_epoch']} s each did not fit in the run's time (--time-budget, default 5 minutes)")
    if ext:
        return (f"; not extended: the training accuracy before averaging reached {ext['below']:g} (the run "
                f"would have gone on to {ext['to']} epochs below it)")
    return ""


def _ensemble_text(e: dict) -> str:
    """The card's line on the ensemble: its members, any left out for time, and why that many."""
    why = f"; why: {e['why']}" if e.get("why") else ""
    if e["members"] == 1:
        return (f"- ensemble: {e['chosen']} models chosen, {e['left_out']} left out for time: the model is the first "
                f"one alone{why}")
    return (f"- ensemble: {e['members']} models trained the same way from seeds {', '.join(map(str, e['seeds']))}; "
            f"the model averages their outputs (the epochs and weight averaging above are the first model's)"
            + (f"; {e['left_out']} more left out for time" if e.get("left_out") else "") + why)
