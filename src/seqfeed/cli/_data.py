"""Reading the CLI's DATA arguments: files of every supported format and bundled datasets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import ConfigError, DataError
from ..core._sequence_set import SequenceSet

BUNDLED = ("japanese_vowels", "sunspots")


@dataclass
class Loaded:
    """A dataset as the CLI uses it."""

    seqs: SequenceSet
    source: str
    options: dict = field(default_factory=dict)
    test: SequenceSet | None = None  # a bundled dataset's own test split
    time: np.ndarray | None = None  # per-step times (forecasting), aligned with seqs.values


def data_options(args) -> dict:
    feats = getattr(args, "features", None)
    return {
        "id": getattr(args, "id_col", None) or "id",
        "time": getattr(args, "time_col", None) or "time",
        "target": getattr(args, "target_col", None),
        "features": [f.strip() for f in feats.split(",") if f.strip()] if feats else None,
        "nan": getattr(args, "nan", "error"),
    }


def is_bundled(spec: str) -> bool:
    return spec.split(":")[0] in BUNDLED and not Path(spec).exists()


def load(spec: str, *, task: str | None = None, options: dict | None = None) -> Loaded:
    """Read ``spec`` (a path or ``name[:split]`` of a bundled dataset) for ``task``."""
    options = dict(options or {})
    if is_bundled(spec):
        return _load_bundled(spec, task)
    path = Path(spec)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or dataset", spec)
    name = path.name.lower()
    if name.endswith((".ts", ".ts.gz")):
        from ..sources import read_ts

        return Loaded(read_ts(path), spec, {"format": "ts"})
    if name.endswith(".npz"):
        from ..sources import read_npz

        return Loaded(read_npz(path), spec, {"format": "npz"})
    if name.endswith(".npy"):
        arr = np.load(path, allow_pickle=False)
        from ..core._convert import as_sequence_set

        return Loaded(as_sequence_set(arr, op="seqfeed"), spec, {"format": "npy"})
    if name.endswith((".csv", ".csv.gz", ".parquet", ".pq", ".tsv")):
        return _load_table(path, spec, task, options)
    raise ConfigError(f"seqfeed: cannot tell the format of {spec!r} from its name.", argument="data",
                      received=spec, fix="use a .csv, .csv.gz, .parquet, .npz, .npy or .ts file, or a bundled "
                                         f"dataset ({', '.join(BUNDLED)})")


def _load_table(path: Path, spec: str, task, o: dict) -> Loaded:
    from ..sources import read_table

    if task == "forecast":
        # the target is a feature whose future is forecast; it stays among the inputs
        features = o["features"]
        if features is not None and o["target"] and o["target"] not in features:
            features = features + [o["target"]]
        seqs = read_table(path, id=o["id"], time=o["time"], target=None, features=features, nan=o["nan"],
                          duplicates=o.get("duplicates", "error"))
        return Loaded(seqs, spec, {**o, "format": "table"})
    level = "step" if task == "tag" else "sequence"
    seqs = read_table(path, id=o["id"], time=o["time"], target=o["target"], features=o["features"],
                      level=level, nan=o["nan"], duplicates=o.get("duplicates", "error"))
    return Loaded(seqs, spec, {**o, "format": "table", "level": level})


def _load_bundled(spec: str, task) -> Loaded:
    from .. import datasets

    name, _, split = spec.partition(":")
    if name == "japanese_vowels":
        if split not in ("", "train", "test"):
            raise ConfigError(f"seqfeed: japanese_vowels has splits 'train' and 'test'. Received {split!r}.",
                              argument="data", received=spec)
        train, test = datasets.japanese_vowels()
        if split == "test":
            return Loaded(test, spec, {"format": "bundled", "name": name})
        return Loaded(train, spec, {"format": "bundled", "name": name}, test=test if split == "" else None)
    series = datasets.sunspots()
    values = np.asarray(series.values, dtype=np.float64).reshape(-1, 1)
    seqs = SequenceSet(values, np.array([0, values.shape[0]]), ids=np.array([series.name]),
                       feature_names=[series.name])
    return Loaded(seqs, spec, {"format": "bundled", "name": name, "target": series.name},
                  time=np.asarray(series.time))


def require_targets(loaded: Loaded, task: str) -> None:
    s = loaded.seqs
    if task in ("classify", "regress") and s.targets is None:
        raise DataError(f"seqfeed train: {loaded.source} has no target per sequence.", argument="--target",
                        fix="name the target column with --target COL")
    if task == "tag" and s.step_targets is None:
        raise DataError(f"seqfeed train: {loaded.source} has no per-step target.", argument="--target",
                        fix="name the per-step label column with --target COL")
