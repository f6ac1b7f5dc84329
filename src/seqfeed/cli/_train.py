"""``seqfeed train``, ``evaluate`` and ``predict``: flags in, :mod:`seqfeed.keras` calls, results printed."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import numpy as np

from .._errors import ConfigError, DataError
from .._fs import atomic_file
from ..datasets.resolve import load, require_targets

# library options whose flag has the same name (``--time-budget`` is ``time_budget``)
SAME_NAME = ("nan", "duplicates", "features", "drop_missing_targets", "test_fraction", "val_fraction", "units",
             "layers", "bidirectional", "pooling", "crop", "cell", "dropout", "frame", "normalize",
             "log_transform", "epochs", "batch", "refit", "batching", "max_tokens", "lr", "patience", "seed",
             "workers", "resume", "force", "time_budget", "window", "horizon", "test_size", "forecast_change",
             "ensemble")


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def train_options(args) -> dict:
    """The keyword options of :func:`seqfeed.keras.train` for a parsed ``seqfeed train`` command."""
    opts = {name: getattr(args, name) for name in SAME_NAME if hasattr(args, name)}
    opts.update(id=args.id_col, time=args.time_col, target=args.target_col, verbose=not args.quiet,
                progress=None if args.quiet else _say,
                command="seqfeed " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    return opts


def run_train(args) -> int:
    from ..keras import train

    run = train(args.data, task=args.task, test=args.test, out=args.out, **train_options(args))
    if run.shards:
        _print_shards_metrics(args.task, run.metrics, args.out)
    else:
        _print_metrics(args.task, run.metrics, args.out)
    return 0


def _print_metrics(task, metrics, out):
    from ..keras import baseline_headline

    headline = baseline_headline(metrics)
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


def _print_shards_metrics(task, metrics, out):
    if metrics is None:  # a worker of a cluster other than the chief: the chief reports
        return
    keys = ("accuracy", "macro_f1") if task in ("classify", "tag") else ("mae", "rmse")
    res = metrics.get("test") or metrics.get("validation")
    text = ", ".join(f"{k} {res[k]:.4f}" for k in keys) if res else "no validation or test split"
    which = "test" if "test" in metrics else "validation" if res else "-"
    print(f"{which}: {text}  ->  {out}")


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
    from ..keras import evaluate_model

    meta = _model_meta(args.model_dir)
    loaded = _data_for_model(meta, args.data, args, with_target=True)
    if meta["task"] != "forecast":
        require_targets(loaded, meta["task"])
    sm = _load_model(args.model_dir)  # TensorFlow only once the data is known to be usable
    res = evaluate_model(sm, loaded.seqs, source=args.data)
    if loaded.dropped_ids:
        res["dropped_missing_targets"] = len(loaded.dropped_ids)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:>10}: {v:.4f}" if isinstance(v, float) else f"{k:>10}: {v}")
    return 0


def _check_output_file(args) -> Path:
    out = Path(args.output)
    if not out.name.lower().endswith((".csv", ".parquet", ".pq")):
        raise ConfigError(f"seqfeed predict: -o must end in .csv or .parquet. Received {args.output!r}.",
                          argument="-o", received=args.output, fix="pass -o predictions.csv")
    if out.is_dir():
        raise ConfigError(f"seqfeed predict: -o {args.output} is a directory.", argument="-o",
                          received=args.output, fix="pass a file name, e.g. -o predictions.csv")
    return out


def run_predict(args) -> int:
    from ..keras import prediction_columns

    out = _check_output_file(args)
    meta = _model_meta(args.model_dir)
    loaded = _data_for_model(meta, args.data, args, with_target=False)
    sm = _load_model(args.model_dir)  # TensorFlow only once the data is known to be usable
    id_name = loaded.options.get("id") if loaded.options.get("format") == "table" else None
    cols = prediction_columns(sm, loaded.seqs, id_name=id_name or "id")
    rows = _write_table(cols, out)
    print(f"{rows} rows -> {out}")
    return 0


def _write_table(cols: dict, out: Path) -> int:
    """Columns written to ``out`` (.csv or .parquet) through a temporary file; returns the row count."""
    import pyarrow as pa

    table = pa.table({k: pa.array(np.asarray(v).tolist() if np.asarray(v).dtype.kind in "OU" else v)
                      for k, v in cols.items()})
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as tmp:
        if out.name.lower().endswith(".csv"):
            import pyarrow.csv as pcsv

            pcsv.write_csv(table, tmp)
        else:
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
    return table.num_rows
