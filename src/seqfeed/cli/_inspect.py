"""``seqfeed inspect`` and ``seqfeed doctor``: no TensorFlow, fast start."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .._errors import SeqfeedError, SeqfeedWarning
from ..datasets.resolve import data_options, id_list, load


def _load_with_findings(args, *, details: bool = False):
    """Load for inspection: every data problem becomes a finding, worked around, then a retry.

    Findings are what a training run would stop on (NaN cells, repeated (id, time) rows, a target
    that varies within an id, missing labels) or silently skip (non-numeric columns). Each finding is
    ``(message, fix)``; with ``details=False`` just the message strings.
    """
    from .. import cli as _cli

    from ..sources._shards import is_shards

    if is_shards(args.data):  # a shards directory: its sequences, no findings to work around
        from ..sources import read_shards
        from ..datasets.resolve import Loaded

        return Loaded(read_shards(args.data), args.data, {"format": "shards"}), []
    opts = data_options(args)
    opts["missing_targets"] = "drop"
    findings: list = []
    task = None
    for attempt in range(5):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SeqfeedWarning)
            try:
                loaded = load(args.data, task=task, options=opts)
            except SeqfeedError as e:
                head, _, fix = str(e).partition(" Fix: ")
                low = head.lower()
                if ("nan" in low or "inf" in low or "null" in low) and opts.get("nan") == "error" \
                        and e.argument != opts.get("target"):
                    opts["nan"] = "drop"
                    head += " (worked around here: rows with NaN/inf left out, as --nan drop does)"
                elif "varies within" in low and task is None:
                    task = "tag"
                    head += " (read here as one target per step, as --task tag does)"
                elif ("repeats" in low or "duplicate" in low) and "column name" not in low \
                        and opts.get("duplicates", "error") == "error":
                    opts["duplicates"] = "first"
                    head += " (worked around here: the first of the repeated rows kept, as --duplicates first does)"
                else:
                    raise
                findings.append((_cli.cli_words(head), _cli.cli_words(fix or e.fix or "")))
                continue
        for w in caught:
            if issubclass(w.category, SeqfeedWarning):
                msg = str(w.message)
                fix = ""
                if "non-numeric" in msg:
                    fix = "convert those columns to numbers, or choose the feature columns with --features"
                findings.append((_cli.cli_words(msg), fix))
        if loaded.dropped_ids:
            ids = loaded.dropped_ids
            target = opts.get("target")
            findings.append((f"{len(ids)} id(s) have no value in the target column {target!r} (null, NaN or "
                             f"empty): {id_list(ids)} (left out here; training stops on them unless "
                             f"--drop-missing-targets)", "fill those targets, or pass --drop-missing-targets"))
        return loaded, (findings if details else [m for m, _ in findings])
    raise SeqfeedError(findings[-1][0])


def _length_stats(L: np.ndarray) -> dict:
    if not L.size:
        return {"n": 0}
    q = np.percentile(L, [10, 50, 90])
    return {"min": int(L.min()), "p10": float(q[0]), "median": float(q[1]), "p90": float(q[2]),
            "max": int(L.max()), "mean": float(L.mean()), "total_steps": int(L.sum())}


def inspect_data(args) -> dict:
    from ..batching import BucketSampler, padding_report
    from ..transforms._restructure import describe_restructure, frame_lengths
    from ..keras import LONG, restructure_candidates

    loaded, findings = _load_with_findings(args)
    s = loaded.seqs
    L = s.lengths
    info = {"source": args.data, "sequences": len(s), "features": s.n_features,
            "feature_names": list(s.feature_names) if s.feature_names else None,
            "lengths": _length_stats(L), "findings": findings}
    if loaded.test is not None:
        info["test_split"] = {"sequences": len(loaded.test), "lengths": _length_stats(loaded.test.lengths)}
    if s.targets is not None:
        t = np.asarray(s.targets)
        if t.dtype.kind in "OUSb" or (t.dtype.kind in "iu" and np.unique(t).size <= 50):
            cls, cnt = np.unique(t, return_counts=True)
            info["targets"] = {"kind": "classes", "counts": {str(c): int(n) for c, n in zip(cls, cnt)}}
        else:
            info["targets"] = {"kind": "values", "mean": float(t.mean()), "std": float(t.std()),
                               "min": float(t.min()), "max": float(t.max())}
    elif s.step_targets is not None:
        cls, cnt = np.unique(np.asarray(s.step_targets), return_counts=True)
        info["targets"] = {"kind": "per-step classes", "counts": {str(c): int(n) for c, n in zip(cls, cnt)}}
    v = np.asarray(s.values)
    if v.dtype.kind == "f" and v.size:
        bad = ~np.isfinite(v)
        if bad.any():
            info["findings"].append(f"{int(bad.any(axis=1).sum())} steps hold NaN/inf")
        zero_steps = int((~(v != 0).any(axis=1)).sum())
        if zero_steps:
            info["findings"].append(f"{zero_steps} real steps have all features == 0: Masking(0.0) would drop "
                                    f"them; seqfeed's length masks keep them")
    empty = int((L == 0).sum())
    if empty:
        info["findings"].append(f"{empty} empty sequences (training drops nothing silently: remove them)")
    bs = args.batch_size
    rep = padding_report(L, batch_sizes=(bs,), token_budgets=(bs * max(int(np.median(L)) if L.size else 1, 1),))
    info["padding_report"] = rep.rows
    median = float(np.median(L)) if L.size else 0.0
    info["long_sequences"] = None
    if median > LONG:
        options = []
        for spec in restructure_candidates(median):
            L2 = frame_lengths(L, spec["size"])
            F2 = s.n_features * (spec["size"] if spec["kind"] == "frame" else 5 if spec["kind"] == "summary" else 1)
            padded = sum(int(L2[b].max()) * b.size for b in BucketSampler(L2, batch_size=bs).batches())
            options.append({"restructure": describe_restructure(spec), "spec": spec,
                            "median_time_steps": float(np.median(L2)), "features": F2,
                            "padded_steps_per_epoch": int(padded)})
        raw_padded = sum(int(L[b].max()) * b.size for b in BucketSampler(L, batch_size=bs).batches())
        info["long_sequences"] = {
            "note": f"median length {median:g} > {LONG}: an LSTM fed one raw step at a time learns slowly and "
                    f"forgets; `seqfeed train --frame auto` scores these restructurings on validation",
            "raw_padded_steps_per_epoch": int(raw_padded), "options": options}
    info["_boundaries"] = BucketSampler(L, batch_size=bs).boundaries.tolist() if L.size else []
    return info


def _print_text(info):
    p = print
    L = info["lengths"]
    p(f"{info['source']}: {info['sequences']} sequences x {info['features']} features")
    if info.get("feature_names"):
        names = info["feature_names"]
        p(f"  features: {', '.join(names[:12])}{' ...' if len(names) > 12 else ''}")
    if L.get("min") is not None:
        p(f"  lengths: min {L['min']}, p10 {L['p10']:g}, median {L['median']:g}, p90 {L['p90']:g}, max {L['max']} "
          f"({L['total_steps']:,} steps)")
    if info.get("test_split"):
        p(f"  test split: {info['test_split']['sequences']} sequences")
    t = info.get("targets")
    if t:
        if "counts" in t:
            counts = ", ".join(f"{k}: {v}" for k, v in list(t["counts"].items())[:12])
            p(f"  targets ({t['kind']}): {counts}{' ...' if len(t['counts']) > 12 else ''}")
        else:
            p(f"  targets (values): mean {t['mean']:.4g}, std {t['std']:.4g}, range {t['min']:.4g}..{t['max']:.4g}")
    if info["findings"]:
        p("findings:")
        for f in info["findings"]:
            p(f"  - {f}")
    else:
        p("findings: none (no NaN/inf, no duplicate timestamps, no empty sequences)")
    p("\npadding report (real steps / padded steps = efficiency):")
    from ..batching import PaddingReport

    p("  " + str(PaddingReport(info["padding_report"])).replace("\n", "\n  "))
    ls = info.get("long_sequences")
    if ls:
        p(f"\nlong sequences: {ls['note']}")
        p(f"  raw: {ls['raw_padded_steps_per_epoch']:,} padded steps per epoch")
        for o in ls["options"]:
            p(f"  {o['restructure']}: median {o['median_time_steps']:g} steps x {o['features']} features, "
              f"{o['padded_steps_per_epoch']:,} padded steps per epoch")


def run_inspect(args) -> int:
    if not 1 <= args.batch_size <= 1_000_000:
        from .._errors import ConfigError

        raise ConfigError(f"seqfeed inspect: --batch-size must be between 1 and 1,000,000. Received "
                          f"{args.batch_size}.", argument="--batch-size", received=args.batch_size,
                          fix="pass --batch-size 32, the batch size you mean to train with")
    info = inspect_data(args)
    boundaries = info.pop("_boundaries")
    if args.plot:
        from ._plots import lengths_histogram

        lengths = _reload_lengths(args)
        lengths_histogram(Path(args.plot), lengths, boundaries)
        info["plot"] = args.plot
    if args.json:
        print(json.dumps(info, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
    else:
        _print_text(info)
        if args.plot:
            print(f"\nlength histogram -> {args.plot}")
    return 0


def _reload_lengths(args):
    loaded, _ = _load_with_findings(args)
    return loaded.seqs.lengths


def run_doctor(args) -> int:
    from ..core import explain

    path = Path(args.data)
    findings: list = []
    if path.suffix in (".npy", ".npz") and path.is_file():
        from ..datasets.resolve import check_magic, reading

        with reading(args.data):
            check_magic(path, args.data, path.suffix[1:])
            obj = _load_array_file(path)
    else:
        loaded, findings = _load_with_findings(args, details=True)
        obj = loaded.seqs
    d = explain(obj, layout=args.layout)
    for msg, fix in findings:  # what reading had to work around is a problem, never "OK"
        d.problems.append((msg, fix or None))
    if args.json:
        print(json.dumps(d.to_dict()))
    else:
        print(d)
    return 0 if d.ok else 1


def _load_array_file(path: Path):
    if path.suffix == ".npy":
        from ..datasets.resolve import load_npy

        return load_npy(path, str(path))
    with np.load(path, allow_pickle=False) as z:
        if "values" in z and "offsets" in z:
            from ..core import SequenceSet

            return SequenceSet(z["values"], z["offsets"])
        keys = list(z.keys())
        if not keys:
            from .._errors import DataError

            raise DataError(f"seqfeed: {path} holds no arrays.", argument="data", received=str(path),
                            fix="save at least one array into the .npz file")
        return z[keys[0]]
