"""Run the seed document's three examples, corrected (make run used this before the demo)."""
import runpy
from pathlib import Path

here = Path(__file__).parent
for name in ("seed_1_single_series.py", "seed_2_batch.py", "seed_3_variable_lengths.py"):
    runpy.run_path(str(here / name), run_name="__main__")
