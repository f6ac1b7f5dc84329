"""Sources: long tables (CSV, Parquet, DataFrames), ``.ts`` files and ``.npz`` -> `SequenceSet`.

PyArrow (and pandas/polars, for DataFrame inputs) are imported by the functions that
need them, not when this package is imported.
"""

from ._npz import read_npz, write_npz
from ._pack import pack
from ._read import read
from ._shards import read_shards, write_shards
from ._table import read_table
from ._ts import read_ts
from ._write import write_long_csv

__all__ = ["pack", "read", "read_npz", "read_shards", "read_table", "read_ts", "write_long_csv",
           "write_npz", "write_shards"]
