import json
import subprocess
import sys

HEAVY = ("tensorflow", "keras", "torch", "matplotlib", "duckdb", "pyspark", "numba")


def test_import_seqfeed_does_not_import_tensorflow_keras_or_torch():
    code = (f"import sys, seqfeed; bad = [m for m in {HEAVY!r} "
            "if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_subpackages_are_attributes_imported_on_first_access():
    """After `import seqfeed` alone, `seqfeed.datasets.japanese_vowels()` works; the heavy
    subpackages are not imported until they are touched."""
    code = f"""
import json, sys
import seqfeed
lazy = ("seqfeed.datasets", "seqfeed.sources", "seqfeed.keras", "seqfeed.spark", "seqfeed.cli",
        "seqfeed.baselines", "seqfeed.metrics")
before = [m for m in lazy if m in sys.modules]
train, test = seqfeed.datasets.japanese_vowels()
read = seqfeed.sources.read("japanese_vowels", split="train")
listed = [n for n in ("datasets", "sources", "keras", "spark", "metrics") if n in dir(seqfeed)]
try:
    seqfeed.no_such_module
    missing = "no error"
except AttributeError as e:
    missing = str(e)
spark = seqfeed.spark.__name__
print(json.dumps({{"before": before, "sizes": [len(train), len(test), len(read)],
                  "same": seqfeed.datasets is sys.modules["seqfeed.datasets"], "listed": listed,
                  "missing": missing, "spark": spark,
                  "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["before"] == []
    assert got["sizes"] == [270, 370, 270]
    assert got["same"] is True
    assert got["listed"] == ["datasets", "sources", "keras", "spark", "metrics"]
    assert got["missing"] == "module 'seqfeed' has no attribute 'no_such_module'"
    assert got["spark"] == "seqfeed.spark"
    assert got["heavy"] == []  # seqfeed.spark imported, pyspark still not
