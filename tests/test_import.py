import subprocess
import sys


def test_import_seqfeed_does_not_import_tensorflow_keras_or_torch():
    code = ("import sys, seqfeed; bad = [m for m in ('tensorflow', 'keras', 'torch', 'matplotlib', 'duckdb') "
            "if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
