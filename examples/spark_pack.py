"""Pack a long panel into sequence shards with Spark (the same sequences as ``seqfeed pack``).

On a cluster (OUT on storage every executor and the driver can write, e.g. a shared
file system mounted on every node)::

    spark-submit --conf spark.pyspark.python=python3 examples/spark_pack.py \\
        /data/readings/ /shared/shards --id sensor --time ts --features a,b --target label \\
        --split entity:0.2

Locally, with a generated panel (needs ``pip install 'seqfeed[spark]'`` and Java 17)::

    spark-submit --master 'local[2]' examples/spark_pack.py demo shards/
    python examples/spark_pack.py demo shards/          # the same, without spark-submit

Then train from the shards: ``seqfeed train shards/ --task classify --out model``
(``--workers N`` for multi-worker training; docs/scale.md).
"""

import argparse
import os
import sys
import tempfile
import time


def demo_panel(spark, n_entities=200, seed=0):
    """A long table of ``n_entities`` sensors (2 features, a label per sensor), rows shuffled."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    counts = rng.integers(5, 60, n_entities)
    ids = np.repeat(np.arange(n_entities), counts)
    label = np.array(["low", "high"])[np.repeat(rng.integers(0, 2, n_entities), counts)]
    t = np.concatenate([np.arange(c) for c in counts])
    a = rng.normal(size=ids.size) + (label == "high")
    table = pa.table({"sensor": ids, "ts": t, "a": a, "b": rng.normal(size=ids.size), "label": label})
    path = os.path.join(tempfile.mkdtemp(prefix="seqfeed-demo-"), "panel.parquet")
    pq.write_table(table.take(pa.array(rng.permutation(ids.size))), path)
    return spark.read.parquet(path), {"id": "sensor", "time": "ts", "features": ["a", "b"], "target": "label"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("input", help="Parquet/CSV path Spark can read (a file, a directory, a glob), or 'demo'")
    p.add_argument("out", help="the new shards directory (shared storage on a cluster)")
    p.add_argument("--id", default="id")
    p.add_argument("--time", default="time")
    p.add_argument("--features", default=None, help="comma-separated (default: every other numeric column)")
    p.add_argument("--target", default=None)
    p.add_argument("--level", choices=["sequence", "step"], default="sequence")
    p.add_argument("--split", default=None, help="entity:F, entity:V,F or time:CUTOFF")
    p.add_argument("--nan", choices=["error", "drop", "ffill", "zero"], default="error")
    p.add_argument("--rows-per-file", type=int, default=100_000)
    p.add_argument("--force", action="store_true", help="replace an existing shards directory")
    args = p.parse_args(argv)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    import seqfeed.spark as sp

    builder = SparkSession.builder.appName("seqfeed-pack")
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # run by plain `python`, not spark-submit: local mode
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
    spark = builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()
    try:
        if args.input == "demo":
            df, cols = demo_panel(spark)
            cols["split"] = args.split or "entity:0.2"
        else:
            reader = spark.read.option("header", True).option("inferSchema", True)
            df = reader.csv(args.input) if args.input.lower().endswith((".csv", ".csv.gz")) else \
                reader.parquet(args.input)
            cols = {"id": args.id, "time": args.time, "target": args.target, "split": args.split,
                    "features": args.features.split(",") if args.features else None}
        t0 = time.time()
        sdf = sp.pack(df, level=args.level, nan=args.nan, **cols)
        manifest = sp.write_shards(sdf, args.out, rows_per_file=args.rows_per_file, force=args.force,
                                   manifest={"created_by": {"function": "examples/spark_pack.py",
                                                            "arguments": vars(args), "command": None}})
        print(f"{manifest['n_sequences']} sequences, {manifest['n_steps']} steps in {len(manifest['files'])} "
              f"part files -> {args.out} ({time.time() - t0:.1f} s); splits: {manifest['counts']}")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
