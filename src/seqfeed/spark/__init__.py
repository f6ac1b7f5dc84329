"""Spark: sequence shards from a long DataFrame on a cluster (``pip install 'seqfeed[spark]'``).

* :func:`pack` -- ``df.groupBy(id).applyInArrow`` with the per-entity kernel of
  ``seqfeed pack``: one row per sequence, the shards schema.
* :func:`write_shards` -- part files written by the executors, counts and moments
  aggregated on the cluster, the manifest, one atomic rename.

PySpark (>= 4.0) is imported by these functions, not by ``import seqfeed.spark``.
"""

from ._pack import pack, write_shards

__all__ = ["pack", "write_shards"]
