"""Batching: samplers (fixed, length-bucketed, token budget), padded batch loading, reports."""

from ._loader import BatchLoader
from ._report import PaddingReport, padding_report
from ._stream import ShardDataset
from ._samplers import (AdaptiveSampler, BucketSampler, FixedSampler, Sampler, TokenBudgetSampler,
                        equal_step_boundaries, optimal_cuts)

__all__ = ["AdaptiveSampler", "BatchLoader", "BucketSampler", "FixedSampler", "PaddingReport", "Sampler", "ShardDataset",
           "TokenBudgetSampler", "equal_step_boundaries", "optimal_cuts", "padding_report"]
