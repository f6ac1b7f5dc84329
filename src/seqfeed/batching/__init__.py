"""Batching: samplers (fixed, length-bucketed, token budget), padded batch loading, reports."""

from ._loader import BatchLoader
from ._report import PaddingReport, padding_report
from ._stream import ShardDataset
from ._samplers import (AdaptiveSampler, BucketSampler, FixedSampler, Sampler, TokenBudgetSampler,
                        equal_step_boundaries, optimal_cuts)
from ._shapes import ShapeBucketSampler, shape_boundaries

__all__ = ["AdaptiveSampler", "BatchLoader", "BucketSampler", "FixedSampler", "PaddingReport", "Sampler", "ShapeBucketSampler",
           "ShardDataset", "TokenBudgetSampler", "equal_step_boundaries", "optimal_cuts", "padding_report",
           "shape_boundaries"]
