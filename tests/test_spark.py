"""seqfeed.spark in local mode: the Spark output equals ``seqfeed.sources.pack`` on the same input."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'seqfeed[spark]')")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):  # pragma: no cover - machine dependent
    pytest.skip("Spark needs Java (no `java` on PATH and no JAVA_HOME)", allow_module_level=True)

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from seqfeed import ConfigError  # noqa: E402
from seqfeed.sources import pack, read_shards  # noqa: E402

# one Spark session (a JVM start) shared by the module: kept on one test worker, started early
pytestmark = [pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
              pytest.mark.slow(seconds=50), pytest.mark.xdist_group("spark_session")]


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable  # executors run this interpreter (with seqfeed)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("seqfeed-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "3")
               .config("spark.default.parallelism", "2").config("spark.ui.showConsoleProgress", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def long_panel(path, seed, *, step_labels=False):
    """A long table, rows shuffled across 3 files, one entity spread over several files."""
    rng = np.random.default_rng(seed)
    n_ent = 37
    counts = rng.integers(1, 25, n_ent)
    ids = np.repeat(np.array([f"s{i:03d}" for i in range(n_ent)]), counts)
    t = np.concatenate([rng.permutation(c) * 10 for c in counts])
    cols = {"sensor": ids, "ts": t.astype(np.int64), "a": rng.normal(size=ids.size),
            "b": rng.normal(size=ids.size).astype("float32")}
    cols["label"] = rng.integers(0, 3, ids.size) if step_labels else \
        np.array(["up", "down"])[np.repeat(rng.integers(0, 2, n_ent), counts)]
    table = pa.table(cols).take(pa.array(rng.permutation(ids.size)))
    os.makedirs(path)
    for k, part in enumerate(np.array_split(np.arange(table.num_rows), 3)):
        pq.write_table(table.take(pa.array(part)), os.path.join(path, f"part{k}.parquet"))
    return path


def assert_same_shards(a_dir, b_dir, splits):
    for split in splits:
        a, b = read_shards(a_dir, split=split), read_shards(b_dir, split=split)
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.offsets, b.offsets)
        np.testing.assert_array_equal(a.values, b.values)
        for field in ("targets", "step_targets"):
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("split, step_labels", [("entity:0.2,0.3", False), ("time:120", True)])
def test_spark_pack_equals_seqfeed_pack(spark, tmp_path, split, step_labels):
    import json

    import seqfeed.spark as sp

    data = long_panel(str(tmp_path / "in"), 1 if step_labels else 0, step_labels=step_labels)
    level = "step" if step_labels else "sequence"
    opts = dict(id="sensor", time="ts", features=["a", "b"], target="label", split=split, level=level)
    ref = pack(data, out=str(tmp_path / "pack"), progress=False, **opts)
    df = spark.read.parquet(data)
    sdf = sp.pack(df, **opts)
    assert sdf.columns == ["id", "values", "length", "targets" if step_labels else "target", "split"]
    got = sp.write_shards(sdf, str(tmp_path / "spark"), rows_per_file=9)
    assert got == json.loads((tmp_path / "spark" / "manifest.json").read_text())
    splits = [s for s in ("train", "validation", "test") if s in ref["counts"]]
    assert len(splits) >= 2
    assert_same_shards(str(tmp_path / "spark"), str(tmp_path / "pack"), splits)
    for key in ("counts", "n_sequences", "n_steps", "length_histogram", "id_type", "target", "task_hint",
                "split", "columns", "values_dtype"):
        assert got[key] == ref[key], key
    assert [f["name"] for f in got["features"]] == ["a", "b"]
    for f in ("a", "b"):
        g, r = got["moments"]["features"][f], ref["moments"]["features"][f]
        assert g["count"] == r["count"] and g["min"] == r["min"] and g["max"] == r["max"]
        assert g["mean"] == pytest.approx(r["mean"], rel=1e-12, abs=1e-12)
        assert g["m2"] == pytest.approx(r["m2"], rel=1e-12)
    # files hold one split each, train first, at most rows_per_file sequences
    ranks = [("train", "validation", "test").index(f["split"]) for f in got["files"]]
    assert ranks == sorted(ranks) and max(f["sequences"] for f in got["files"]) <= 9


def test_spark_pack_names_bad_columns_before_running(spark, tmp_path):
    import seqfeed.spark as sp

    df = spark.createDataFrame([(1, 0, 0.5)], ["sensor", "ts", "a"])
    with pytest.raises(ConfigError, match="'station' is not in the DataFrame") as e:
        sp.pack(df, id="station", time="ts", features=["a"])
    assert e.value.fix
    with pytest.raises(ConfigError, match="feature column"):
        sp.pack(df, id="sensor", time="ts", features=["z"])
    with pytest.raises(ConfigError, match="split"):
        sp.pack(df, id="sensor", time="ts", features=["a"], split="random")


def test_import_seqfeed_spark_does_not_import_pyspark():
    code = "import sys, seqfeed, seqfeed.spark; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
