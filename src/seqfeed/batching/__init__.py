"""Batching: samplers (fixed, length-bucketed, token budget), padded batch loading, reports."""

from ._loader import BatchLoader
from ._report import PaddingReport, padding_report
from ._samplers import BucketSampler, FixedSampler, Sampler, TokenBudgetSampler, equal_step_boundaries

__all__ = ["BatchLoader", "BucketSampler", "FixedSampler", "PaddingReport", "Sampler",
           "TokenBudgetSampler", "equal_step_boundaries", "padding_report"]
