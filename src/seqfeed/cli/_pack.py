"""``seqfeed pack``: long CSV/Parquet of any size -> sequence shards (no TensorFlow)."""

from __future__ import annotations

import sys


def add_pack_parser(sub) -> None:
    s = sub.add_parser("pack", help="long CSV/Parquet of any size -> sequence shards, in bounded memory")
    s.add_argument("data", help="a CSV/Parquet file, a directory of them, or a glob ('data/*.parquet')")
    g = s.add_argument_group("table columns (long format: one row per time step)")
    g.add_argument("--id", dest="id_col", default="id", help="entity id column (default: 'id')")
    g.add_argument("--time", dest="time_col", default="time", help="time column (default: 'time')")
    g.add_argument("--target", dest="target_col", default=None, help="target column")
    g.add_argument("--features", default=None,
                   help="comma-separated feature columns (default: every other numeric column)")
    g.add_argument("--level", choices=["sequence", "step"], default="sequence",
                   help="one target per sequence (default) or per step")
    g.add_argument("--nan", default="error", choices=["error", "drop", "ffill", "zero"],
                   help="what to do with NaN/inf feature values (default: error)")
    g.add_argument("--duplicates", default="error", choices=["error", "first", "last", "mean"],
                   help="rows of one id with the same time (default: error)")
    s.add_argument("--out", required=True, help="output shards directory (written atomically)")
    s.add_argument("--memory", default="1GiB", help="memory budget of the whole process (default 1GiB)")
    s.add_argument("--split", default=None,
                   help="entity:0.2 (20%% of the ids to test, by a stable hash), entity:0.1,0.2 "
                        "(validation, test) or time:CUTOFF (steps before -> train, the rest -> test)")
    s.add_argument("--engine", choices=["auto", "duckdb", "arrow"], default="auto",
                   help="arrow: PyArrow range partitions (auto: the faster by measurement); "
                        "duckdb: DuckDB's out-of-core sort")
    s.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    s.add_argument("--force", action="store_true", help="replace an existing shards directory at --out")
    s.add_argument("--quiet", action="store_true", help="no progress bar")


def run_pack(args) -> int:
    from ..sources._pack import command_line, pack

    feats = [f.strip() for f in args.features.split(",") if f.strip()] if args.features else None
    m = pack(args.data, id=args.id_col, time=None if args.time_col in ("", "none") else args.time_col,
             target=args.target_col, features=feats, level=args.level, nan=args.nan,
             duplicates=args.duplicates, out=args.out, memory=args.memory, split=args.split,
             engine=args.engine, dtype=args.dtype, force=args.force, progress=not args.quiet,
             command=command_line(sys.argv[1:] if sys.argv and sys.argv[1:2] == ["pack"]
                                  else ["pack", args.data, "--out", args.out]))
    counts = ", ".join(f"{k}: {v['sequences']:,} sequences / {v['steps']:,} steps"
                       for k, v in m["counts"].items())
    print(f"seqfeed pack: wrote {args.out} ({len(m['files'])} files; {counts}; "
          f"engine {m['created_by']['engine']})")
    return 0
