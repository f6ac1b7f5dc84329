"""The real-data suite: default ``seqfeed train`` against cheap baselines and published results.

Datasets (files in ``benchmarks/data/suite/`` and ``benchmarks/data/``, JapaneseVowels and
sunspots bundled with the package; source and licence of each in ``benchmarks/data/SOURCES.md``):

* classification, equal length: ACSF1, ArrowHead, Coffee, GunPoint, ItalyPowerDemand,
  OSULeaf, PigCVP, Trace, BasicMotions (6 channels);
* classification, variable length: JapaneseVowels (12 channels), PickupGestureWiimoteZ;
* regression: Covid3Month, CardanoSentiment (2 channels), Tecator;
* forecasting (one series each, one step ahead): sunspots, Airline, Lynx, ShampooSales.

For each dataset, on the archive's own train/test split (forecasting: the final
``round(0.2 * length)`` steps held out, one-step-ahead forecasts with the true history, as
``seqfeed train --task forecast`` evaluates):

* baselines from :mod:`seqfeed.baselines`, each timed: classification 1-NN Euclidean
  (last-value padding for variable lengths), 1-NN DTW with a 10% Sakoe-Chiba window,
  1-NN on standardised summary features (accuracy); regression the training mean and
  ridge on summary features (RMSE); forecasting naive and seasonal naive (MAE);
* the published default-split accuracies of HIVE-COTE 2 and InceptionTime
  (``data/suite/published_accuracy.csv``, univariate UCR sets only);
* unless ``--no-train``: default ``seqfeed train`` run as a child process
  (``python -m seqfeed.cli train DATA [--test TEST] --task T --out DIR --quiet``): its
  test score from ``metrics.json``, the whole command's wall time, the child's peak
  resident memory (``os.wait4`` rusage), and the setup it chose (from ``seqfeed.json``).

Usage::

    python benchmarks/bench_suite.py                 # everything (long: training every set)
    python benchmarks/bench_suite.py --no-train      # baselines only (a few minutes)
    python benchmarks/bench_suite.py --only GunPoint,Coffee
    python benchmarks/bench_suite.py --quick         # a small subset, < 10 min; results/quick/

Results: ``benchmarks/results/suite.json`` (one entry per dataset, each with the commit,
machine facts and command of the run that measured it; a run updates only the datasets
it ran, and ``--no-train`` keeps a dataset's earlier training result) and the tables in
``benchmarks/README.md`` between the ``suite`` marker comments. ``--quick`` writes
``benchmarks/results/quick/suite.json`` and leaves the README alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
DATA = HERE / "data"
SUITE = DATA / "suite"
RESULTS = HERE / "results" / "suite.json"
QUICK_RESULTS = HERE / "results" / "quick" / "suite.json"
README = HERE / "README.md"
BEGIN, END = "<!-- suite:begin -->", "<!-- suite:end -->"

# name -> (task, train file, test file or None); None file: bundled with the package
DATASETS = {
    "ACSF1": ("classify", DATA / "acsf1_train.ts.gz", DATA / "acsf1_test.ts.gz"),
    "ArrowHead": ("classify", SUITE / "arrowhead_train.ts.gz", SUITE / "arrowhead_test.ts.gz"),
    "Coffee": ("classify", SUITE / "coffee_train.ts.gz", SUITE / "coffee_test.ts.gz"),
    "GunPoint": ("classify", SUITE / "gunpoint_train.ts.gz", SUITE / "gunpoint_test.ts.gz"),
    "ItalyPowerDemand": ("classify", SUITE / "italypowerdemand_train.ts.gz", SUITE / "italypowerdemand_test.ts.gz"),
    "OSULeaf": ("classify", SUITE / "osuleaf_train.ts.gz", SUITE / "osuleaf_test.ts.gz"),
    "PigCVP": ("classify", SUITE / "pigcvp_train.ts.gz", SUITE / "pigcvp_test.ts.gz"),
    "Trace": ("classify", SUITE / "trace_train.ts.gz", SUITE / "trace_test.ts.gz"),
    "BasicMotions": ("classify", SUITE / "basicmotions_train.ts.gz", SUITE / "basicmotions_test.ts.gz"),
    "JapaneseVowels": ("classify", "japanese_vowels_train.ts.gz", "japanese_vowels_test.ts.gz"),
    "PickupGestureWiimoteZ": ("classify", SUITE / "pickupgesturewiimotez_train.ts.gz",
                              SUITE / "pickupgesturewiimotez_test.ts.gz"),
    "Covid3Month": ("regress", SUITE / "covid3month_train.ts.gz", SUITE / "covid3month_test.ts.gz"),
    "CardanoSentiment": ("regress", SUITE / "cardanosentiment_train.ts.gz", SUITE / "cardanosentiment_test.ts.gz"),
    "Tecator": ("regress", SUITE / "tecator_train.ts.gz", SUITE / "tecator_test.ts.gz"),
    "sunspots": ("forecast", "sunspots", None),
    "Airline": ("forecast", SUITE / "airline.csv.gz", None),
    "Lynx": ("forecast", SUITE / "lynx.csv.gz", None),
    "ShampooSales": ("forecast", SUITE / "shampoo_sales.csv.gz", None),
}
QUICK = ["ItalyPowerDemand", "GunPoint", "Covid3Month", "Airline"]
# The sets whose results chose a default (docs/defaults.md says which rule each chose); every other set
# is held out: no default was chosen or changed by looking at it, so its score is out of sample.
CHOSE = {
    "ACSF1": ("long-sequence recipe, frame sizes, small-data refit and epochs; more epochs when the refit "
              "still underfits"),
    "JapaneseVowels": ("small-data refit, epochs and batch size; global scaling of multi-feature steps; both "
                       "directions and an ensemble of three for short sequences"),
    "GunPoint": "restructuring from a median length of 100; scaling scored only for one feature; training crops",
    "Tecator": ("restructuring from a median length of 100 (inclusive); the front-end's pooled features; "
                "crops for classification only; the patience of the regression epochs' validation fit; one "
                "direction from a median length of 100 to 200"),
    "Airline": "forecasting the change from the last value as a candidate",
    "BasicMotions": "global scaling of multi-feature steps",
    "CardanoSentiment": ("global scaling of multi-feature steps; regression epochs from the validation curve; "
                         "both directions for short sequences"),
    "ArrowHead": ("the front-end's full-rate block and pooled features; the search's one-standard-error rule; "
                  "training crops"),
    "Coffee": "training crops",
    "ItalyPowerDemand": "no training crops below a median length of 100",
    "PickupGestureWiimoteZ": ("the search's trials on whole sequences (without crops); the one-standard-error "
                              "rule for the scaling; one direction from a median length of 100 to 200"),
    "OSULeaf": "the front-end's full-rate block and pooled features",
    "PigCVP": "no full-rate block above stride 8",
}
DTW_WINDOW = 0.1
CHOICE_BUDGET = 30.0  # seconds: ~10% of a 5-minute training run


def _package_file(name: str) -> Path:
    from importlib import resources

    return Path(str(resources.files("seqfeed.datasets").joinpath("data", name)))


def cli_paths(name: str) -> tuple[str, str | None]:
    """The DATA and --test arguments of ``seqfeed train`` for a dataset."""
    task, a, b = DATASETS[name]
    if isinstance(a, str) and a.endswith(".ts.gz"):
        return str(_package_file(a)), str(_package_file(b))
    return str(a), (str(b) if b is not None else None)


def load(name: str):
    """``(task, train, test)`` SequenceSets; forecasting: ``test`` continues each training series."""
    from seqfeed import SequenceSet
    from seqfeed.sources import read, read_ts

    task, a, b = DATASETS[name]
    if task != "forecast":
        tr, te = cli_paths(name)
        return task, read_ts(tr), read_ts(te)
    if a == "sunspots":
        from seqfeed.datasets import sunspots

        series = SequenceSet.from_sequences([sunspots().values])
    else:
        series = read(str(a))
    L = series.lengths
    test_size = max(1, int(round(0.2 * float(np.median(L)))))  # as `seqfeed train --task forecast` (horizon 1)
    cut = L - test_size
    train = SequenceSet.from_sequences([series[i][:cut[i]] for i in range(len(series))])
    test = SequenceSet.from_sequences([series[i][cut[i]:] for i in range(len(series))])
    return task, train, test


def published() -> dict:
    out = {}
    with open(SUITE / "published_accuracy.csv") as f:
        for row in csv.DictReader(f):
            out[row["dataset"]] = {"HC2": float(row["HC2"]), "InceptionTime": float(row["InceptionTime"])}
    return out


def describe(task, train, test) -> dict:
    L = np.concatenate([train.lengths, test.lengths])
    d = {"task": task, "n_train": len(train), "n_test": len(test), "features": train.n_features,
         "length_min": int(L.min()), "length_max": int(L.max())}
    if task == "classify":
        d["classes"] = int(np.unique(np.asarray(train.targets)).size)
    if task == "forecast":
        d["series_length"] = int(train.lengths[0] + test.lengths[0])
        d["test_steps"] = int(test.lengths[0])
    return d


def _warm_up() -> None:
    """Compile the DTW kernels once (or load them from numba's cache) so no baseline's time includes it."""
    from seqfeed import SequenceSet
    from seqfeed import baselines as B

    s = SequenceSet.from_sequences([np.zeros(4), np.ones(5)], targets=np.array(["a", "b"]))
    B.nn_dtw(s, s)
    B.dtw_distances(s, s)


def run_baselines(task, train, test) -> dict:
    from seqfeed import baselines as B

    runs = {
        "classify": [("nn_euclidean", lambda: B.nn_euclidean(train, test)),
                     ("nn_dtw", lambda: B.nn_dtw(train, test, window=DTW_WINDOW)),
                     ("nn_summary", lambda: B.nn_summary(train, test))],
        "regress": [("mean", lambda: B.mean_regressor(train, test)),
                    ("ridge_summary", lambda: B.ridge_summary(train, test))],
        "forecast": [("naive", lambda: B.naive_forecast(train, test)),
                     ("seasonal_naive", lambda: B.seasonal_naive_forecast(train, test))],
    }[task]
    out = {}
    for name, f in runs:
        t0 = time.perf_counter()
        r = f()
        rec = {"seconds": round(time.perf_counter() - t0, 3), **{k: round(float(v), 6) for k, v in r.metrics.items()}}
        for k in ("window", "engine", "pairs_computed", "pairs", "alpha", "seasons", "align"):
            if k in r.info:
                rec[k] = r.info[k]
        out[name] = rec
    t0 = time.perf_counter()
    r = B.choose_baseline(train, test, task, CHOICE_BUDGET, window=DTW_WINDOW)
    out["chosen"] = {"name": r.name, "seconds": round(time.perf_counter() - t0, 3),
                     **{k: round(float(v), 6) for k, v in r.metrics.items()},
                     "choice": r.info.get("choice")}
    if task == "classify":
        out["dtw_estimated_seconds"] = round(B.dtw_cost_seconds(
            len(train), len(test), int(round(float(np.mean(train.lengths)))), DTW_WINDOW,
            n_features=train.n_features), 3)
    return out


def _setup_summary(meta: dict) -> dict:
    """The choices recorded in a run's seqfeed.json (kept loose: the file's layout may grow)."""
    info = meta.get("info", meta)
    choice = info.get("choice", {}) if isinstance(info, dict) else {}
    out = {}
    for key in ("restructure", "normalize", "log_transform"):
        v = choice.get(key)
        if isinstance(v, dict) and "chosen" in v:
            out[key] = v["chosen"]
    tr = choice.get("training")
    if isinstance(tr, dict):
        for k in ("batch", "epochs", "refit", "ensemble"):
            if k in tr:
                out[k] = tr[k]
    model = choice.get("model")
    if isinstance(model, dict):
        for k, v in model.items():
            if not isinstance(v, (dict, list)):
                out[f"model_{k}"] = v
    return out


def run_train(name: str, timeout: float) -> dict:
    task = DATASETS[name][0]
    data, test = cli_paths(name)
    with tempfile.TemporaryDirectory(prefix="suite-") as d:
        out = Path(d) / "run"
        cmd = [sys.executable, "-m", "seqfeed.cli", "train", data, "--task", task, "--out", str(out), "--quiet"]
        if test is not None:
            cmd[5:5] = ["--test", test]
        shown = " ".join(["seqfeed train", Path(data).name if data != "sunspots" else data]
                         + (["--test", Path(test).name] if test else []) + ["--task", task, "--out", "DIR", "--quiet"])
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=d, text=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            return {"command": shown, "error": f"timed out after {timeout:.0f} s"}
        wall = time.perf_counter() - t0
        # peak memory: measured by _isolated_train (RUSAGE_CHILDREN of a process whose only child is this one)
        rec = {"command": shown, "returncode": proc.returncode, "wall_seconds": round(wall, 1)}
        if proc.returncode != 0:
            rec["error"] = (stderr.strip().splitlines() or ["?"])[-1][:300]
            return rec
        metrics = json.loads((out / "metrics.json").read_text())
        meta = json.loads((out / "seqfeed.json").read_text())
        rec["metrics"] = {k: v for k, v in metrics.items() if not isinstance(v, (list, dict))}
        rec["setup"] = _setup_summary(meta)
        rec["choice"] = (meta.get("info") or {}).get("choice")  # the whole search record, as the run saved it
        printed = stdout.strip().splitlines()[-1][:300] if stdout.strip() else ""
        rec["printed"] = printed.replace(str(out), "OUT")  # no temporary path of this machine in the results
        return rec


def _isolated_train(name: str, timeout: float) -> dict:
    """`run_train` in a fresh Python process, so RUSAGE_CHILDREN there is this training's peak memory."""
    code = ("import json, resource, sys; sys.path.insert(0, %r); import bench_suite as b; "
            "r = b.run_train(%r, %r); "
            "r['peak_rss_mb'] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1); "
            "print(json.dumps(r))") % (str(HERE), name, timeout)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout + 120)
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def headline(task: str, train_rec: dict | None):
    if not train_rec or "metrics" not in train_rec:
        return None
    key = {"classify": "accuracy", "regress": "rmse", "forecast": "mae"}[task]
    return train_rec["metrics"].get(key)


# ----------------------------------------------------------------------------- output
def _fmt(v, nd=3):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{nd}f}" if abs(v) < 1e4 else f"{v:.3g}"
    return str(v)


def _train_cells(rec):
    t = rec.get("train")
    if not t:
        return ["not run in this commit", "", "", ""]
    if "error" in t:
        return ["failed: " + t["error"][:60], _fmt(t.get("wall_seconds"), 0), "", ""]
    setup = t.get("setup", {})
    s = ", ".join(f"{k} {v}" for k, v in setup.items() if k in ("restructure", "normalize", "log_transform",
                                                                   "epochs", "batch", "refit"))
    if setup.get("model_crop"):
        s += f", crops >= {setup['model_crop']}"
    if setup.get("model_bidirectional"):
        s += ", both directions"
    members = ((t.get("choice") or {}).get("training") or {}).get("ensemble", setup.get("ensemble"))
    if members and members > 1:
        s += f", ensemble of {members}"
    nd = 4 if rec["info"]["task"] == "regress" else 3
    return [_fmt(headline(rec["info"]["task"], t), nd), _fmt(t.get("wall_seconds"), 0), _fmt(t.get("peak_rss_mb"), 0),
            s or "—"]


_SHORT = {"nn_euclidean": "ED", "nn_dtw": "DTW", "nn_summary": "summary", "ridge_summary": "ridge",
          "mean_regressor": "mean", "naive_forecast": "naive", "seasonal_naive_forecast": "seasonal"}


def _chosen(b: dict, key: str, nd: int = 3) -> str:
    c = b.get("chosen")
    if not c:
        return "—"
    return f"{_SHORT.get(c['name'], c['name'])} {_fmt(c.get(key), nd)}"


def scorecard(results: dict) -> list[str]:
    """The issue's targets computed from the results: the median gap to InceptionTime (all sets with a
    published score, and the held-out ones), sets more than 0.05 below 1-NN DTW, regression and
    forecasting against their best cheap baseline."""
    ds = results["datasets"]
    acc = lambda n: (ds[n].get("train") or {}).get("metrics", {}).get("accuracy")  # noqa: E731
    gaps = {n: ds[n]["published"]["InceptionTime"] - acc(n) for n in ds
            if ds[n]["info"]["task"] == "classify" and ds[n].get("published") and acc(n) is not None}
    held = {n: g for n, g in gaps.items() if n not in CHOSE}
    below = [f"{n} ({acc(n):.3f} vs {ds[n]['baselines']['nn_dtw']['accuracy']:.3f})" for n in ds
             if ds[n]["info"]["task"] == "classify" and acc(n) is not None
             and acc(n) < ds[n]["baselines"]["nn_dtw"]["accuracy"] - 0.05]
    lost = []
    for n in ds:
        task, m = ds[n]["info"]["task"], (ds[n].get("train") or {}).get("metrics")
        if task in ("regress", "forecast") and m:
            key = "rmse" if task == "regress" else "mae"
            best = min(v[key] for k, v in ds[n]["baselines"].items() if k != "chosen" and key in v)
            if m[key] >= best:
                lost.append(f"{n} ({m[key]:.4g} vs {best:.4g})")
    out = ["**Scorecard**", ""]
    if gaps:
        out.append(f"- median gap to InceptionTime's default-split accuracy: **{float(np.median(list(gaps.values()))):.3f}** "
                   f"over {len(gaps)} sets ({', '.join(f'{n} {g:+.3f}' for n, g in gaps.items())})"
                   + (f"; over the {len(held)} held-out sets **{float(np.median(list(held.values()))):.3f}**"
                      if held else ""))
    out.append("- more than 0.05 below 1-NN DTW: " + (", ".join(below) if below else "none"))
    out.append("- regression and forecasting not beating their best cheap baseline: " + (", ".join(lost) if lost
                                                                                       else "none"))
    out.append("- sets that chose a default (the rest are held out): " + "; ".join(f"{n}: {w}" for n, w in CHOSE.items()))
    return out + [""]


def tables(results: dict) -> str:
    ds = results["datasets"]
    lines = scorecard(results)
    cls = [n for n in DATASETS if n in ds and ds[n]["info"]["task"] == "classify"]
    if cls:
        lines += ["**Classification** (test accuracy; baselines' seconds in brackets)", "",
                  "| dataset | train/test | length | F | classes | 1-NN ED | 1-NN DTW 10% | NN summary | chosen (30 s) | "
                  "HC2 | InceptionTime | seqfeed train | wall s | peak MB | setup chosen |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n in cls:
            r, i, b = ds[n], ds[n]["info"], ds[n]["baselines"]
            pub = r.get("published") or {}
            L = f"{i['length_min']}" if i["length_min"] == i["length_max"] else f"{i['length_min']}–{i['length_max']}"
            cells = [n, f"{i['n_train']}/{i['n_test']}", L, str(i["features"]), str(i.get("classes", "")),
                     *[f"{_fmt(b[k]['accuracy'])} ({_fmt(b[k]['seconds'], 1)})" for k in ("nn_euclidean", "nn_dtw",
                                                                                          "nn_summary")],
                     _chosen(b, "accuracy"), _fmt(pub.get("HC2")), _fmt(pub.get("InceptionTime")), *_train_cells(r)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    reg = [n for n in DATASETS if n in ds and ds[n]["info"]["task"] == "regress"]
    if reg:
        lines += ["**Regression** (test RMSE, lower is better)", "",
                  "| dataset | train/test | length | F | mean | ridge on summary features | chosen (30 s) | seqfeed train | "
                  "wall s | peak MB | setup chosen |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for n in reg:
            r, i, b = ds[n], ds[n]["info"], ds[n]["baselines"]
            cells = [n, f"{i['n_train']}/{i['n_test']}", str(i["length_max"]), str(i["features"]),
                     _fmt(b["mean"]["rmse"], 4), _fmt(b["ridge_summary"]["rmse"], 4), _chosen(b, "rmse", 4), *_train_cells(r)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    fc = [n for n in DATASETS if n in ds and ds[n]["info"]["task"] == "forecast"]
    if fc:
        lines += ["**Forecasting** (one step ahead over the final 20% of the series; test MAE, lower is better)", "",
                  "| dataset | length | test steps | naive | seasonal naive (season) | chosen (30 s) | seqfeed train | "
                  "wall s | peak MB | setup chosen |", "|---|---|---|---|---|---|---|---|---|---|"]
        for n in fc:
            r, i, b = ds[n], ds[n]["info"], ds[n]["baselines"]
            sn = b["seasonal_naive"]
            cells = [n, str(i["series_length"]), str(i["test_steps"]), _fmt(b["naive"]["mae"]),
                     f"{_fmt(sn['mae'])} ({sn['seasons'][0]})", _chosen(b, "mae"), *_train_cells(r)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    commits = sorted({ds[n]["machine"].get("seqfeed_commit") or "?" for n in ds})
    m = next(iter(ds.values()))["machine"]
    loads = [ds[n]["train_machine"].get("load_average_1m") for n in ds
             if ds[n].get("train") and ds[n].get("train_machine")]
    loads = [x for x in loads if x is not None]
    if loads:
        span = f"{min(loads):.1f}" if min(loads) == max(loads) else f"{min(loads):.1f}-{max(loads):.1f}"
        tc = sorted({ds[n]["train_machine"].get("seqfeed_commit") or "?" for n in ds
                     if ds[n].get("train") and ds[n].get("train_machine")})
        lines.append(f"Training runs (commit {', '.join(tc)}): 1-minute load average {span} at the start of the "
                     f"runs on {m.get('cpu_affinity')} cores (other jobs were running: wall times are inflated "
                     f"accordingly; scores are not affected). `wall s` is the whole `seqfeed train` command, `peak MB` "
                     f"its peak resident memory.")
        lines.append("")
    lines.append(f"Baselines measured at commit(s) {', '.join(commits)} on {m.get('cpu_affinity')} of {m.get('cpu_count')} "
                 f"cores ({m.get('cpu_model')}), {m.get('memory_gb')} GB, NumPy {m.get('numpy')}; load average at the "
                 f"start of each run is in `results/suite.json`. 1-NN DTW: dependent DTW, Sakoe-Chiba radius "
                 f"10% of the longer sequence, numba engine with LB_Keogh pruning. `chosen (30 s)`: what "
                 f"`seqfeed.baselines.choose_baseline` picks on the training data alone with a 30-second budget "
                 f"(classification: best leave-one-out accuracy among the affordable 1-NN baselines; forecasting: "
                 f"seasonal naive only if it wins a backtest on the training series). Published: default-split "
                 f"accuracies from the aeon 1.6.0 results files (univariate UCR sets only).")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    body = README.read_text() if README.exists() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in body and END in body:
        head, rest = body.split(BEGIN, 1)
        body = head + block + rest.split(END, 1)[1]
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    tmp = README.with_suffix(".md.tmp")
    tmp.write_text(body)
    os.replace(tmp, README)


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=lambda o: o.item() if isinstance(o, np.generic) else str(o)))
    os.replace(tmp, path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}; writes results/quick/")
    p.add_argument("--only", default=None, help="comma-separated dataset names")
    p.add_argument("--no-train", action="store_true", help="baselines only (no seqfeed train)")
    p.add_argument("--train-timeout", type=float, default=1800.0, help="seconds per training run (default 1800)")
    p.add_argument("--out", type=Path, default=None, help="results JSON (default results/suite.json)")
    args = p.parse_args(argv)
    names = list(DATASETS)
    if args.quick:
        names = QUICK
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        lower = {n.lower(): n for n in DATASETS}
        bad = [n for n in wanted if n.lower() not in lower]
        if bad:
            p.error(f"unknown dataset(s) {bad}; choose from {', '.join(DATASETS)}")
        names = [lower[n.lower()] for n in wanted]
    out_path = args.out or (QUICK_RESULTS if args.quick else RESULTS)

    from _machine import machine_facts

    machine = machine_facts()
    machine["load_average_1m"] = round(os.getloadavg()[0], 2)
    try:
        import numba

        machine["numba"] = numba.__version__
    except ImportError:
        machine["numba"] = None
    command = "python benchmarks/bench_suite.py " + " ".join(argv if argv is not None else sys.argv[1:])
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    results.setdefault("datasets", {})
    results["last_run"] = {"command": command.strip(), "machine": machine, "datasets": names}
    pub = published()
    _warm_up()
    for name in names:
        task, train, test = load(name)
        t0 = time.perf_counter()
        rec = {"info": describe(task, train, test), "baselines": run_baselines(task, train, test),
               "published": pub.get(name), "machine": machine, "command": command.strip()}
        base_s = time.perf_counter() - t0
        old = results["datasets"].get(name, {})
        if not args.no_train:
            rec["train"] = _isolated_train(name, args.train_timeout)
        elif old.get("train"):
            rec["train"] = old["train"]  # measured by an earlier run (its own commit is kept with it)
            rec["train_machine"] = old.get("train_machine", old.get("machine"))
        if not args.no_train:
            rec["train_machine"] = machine
        results["datasets"][name] = rec
        b = rec["baselines"]
        key = {"classify": "accuracy", "regress": "rmse", "forecast": "mae"}[task]
        summary = ", ".join(f"{k} {v[key]:.3f}" for k, v in b.items() if isinstance(v, dict) and key in v)
        tr = headline(task, rec.get("train"))
        print(f"{name:<22} {task:<8} {summary}  [{base_s:.1f} s]"
              + (f"  seqfeed train {key} {tr:.3f}" if tr is not None else ""), flush=True)
        write_json(out_path, results)
    if not args.quick and args.out is None:
        write_readme(tables(results))
        print(f"tables written to {README.relative_to(REPO)}")
    print(f"results written to {out_path.relative_to(REPO) if out_path.is_relative_to(REPO) else out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
