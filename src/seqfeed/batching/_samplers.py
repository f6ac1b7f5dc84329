"""Samplers: which sequences go together in a batch, epoch by epoch.

A sampler only sees lengths and yields index arrays; padding happens later, per
batch (:class:`BatchLoader`). Every sampler:

* visits every sequence exactly once per epoch (``drop_last`` may drop the
  final short batch of fixed-size samplers, and is then counted in
  ``dropped``);
* shuffles with ``numpy.random.default_rng([seed, epoch])``: different for each
  epoch, identical for the same ``(seed, epoch)``;
* breaks length ties at random, so files sorted by class still give mixed
  batches, and shuffles the batch order every epoch;
* can be saved mid-epoch with ``state_dict()`` and resumed with
  ``load_state_dict()``: the remaining batches are exactly those the
  interrupted run would have produced.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_float, round_up
from .._errors import ConfigError, ShapeError, check_int, shape_str

__all__ = ["Sampler", "FixedSampler", "BucketSampler", "TokenBudgetSampler", "AdaptiveSampler",
           "equal_step_boundaries", "optimal_cuts"]


def _lengths_of(data) -> np.ndarray:
    lengths = getattr(data, "lengths", data)
    try:
        lengths = np.asarray(lengths)
    except (ValueError, TypeError):
        raise ConfigError("sampler: `lengths` must be a 1-D integer array (or a SequenceSet).",
                          argument="lengths", received=type(lengths).__name__) from None
    if lengths.ndim != 1:
        raise ShapeError(f"sampler: `lengths` must be a 1-D integer array (or a SequenceSet). "
                         f"Received shape {shape_str(lengths.shape)}, dtype {lengths.dtype}.",
                         argument="lengths", received=lengths.shape)
    if lengths.size and lengths.dtype.kind not in "iu":
        raise ConfigError(f"sampler: `lengths` must hold integers. Received dtype {lengths.dtype}.",
                          argument="lengths", received=str(lengths.dtype),
                          fix="pass integer lengths, e.g. np.asarray(lengths, dtype=np.int64), or the "
                              "SequenceSet itself")
    if lengths.size and lengths.min() < 0:
        i = int(np.argmin(lengths))
        raise ConfigError(f"sampler: `lengths` must be >= 0; lengths[{i}]={int(lengths[i])}.",
                          argument="lengths", received=int(lengths[i]), index=i)
    if lengths.dtype.kind == "u" and lengths.size and lengths.max() > np.iinfo(np.int64).max:
        raise ConfigError("sampler: `lengths` are too large.", argument="lengths")
    return lengths.astype(np.int64, copy=False)


def equal_step_boundaries(lengths, n_buckets: int) -> np.ndarray:
    """Upper length boundaries splitting ``lengths`` into buckets of ~equal total steps.

    Bucket ``k`` holds sequences with ``boundaries[k-1] < length <= boundaries[k]``;
    the last boundary is the longest length. Duplicate boundaries are merged.
    """
    lengths = np.sort(np.asarray(lengths, dtype=np.int64))
    if lengths.size == 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.cumsum(lengths)
    targets = cum[-1] * np.arange(1, n_buckets) / n_buckets
    cuts = lengths[np.minimum(np.searchsorted(cum, targets), lengths.size - 1)]
    return np.unique(np.append(cuts, lengths[-1]))


class Sampler:
    """Base class: subclasses implement ``_plan(rng) -> list of index arrays``."""

    kind = "base"

    def __init__(self, lengths, *, seed: int = 0, shuffle: bool = True, drop_last: bool = False):
        self.lengths = _lengths_of(lengths)
        self.seed = check_int("sampler", "seed", seed, minimum=0)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self.position = 0  # batches of the current epoch already handed out
        self._cache: tuple[int, list] | None = None

    # -- planning --------------------------------------------------------------------
    def _rng(self, epoch: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, epoch])

    def _sorted_by_length(self, rng, idx=None) -> np.ndarray:
        idx = np.arange(self.lengths.size) if idx is None else idx
        ties = rng.random(idx.size) if self.shuffle else np.arange(idx.size)
        return idx[np.lexsort((ties, self.lengths[idx]))]

    def _plan(self, rng) -> list[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def batches(self, epoch: int | None = None) -> list[np.ndarray]:
        """All batches of ``epoch`` (default: the current one), deterministic."""
        epoch = self.epoch if epoch is None else epoch
        if self._cache is None or self._cache[0] != epoch:
            plan = self._plan(self._rng(epoch))
            if self.shuffle and len(plan) > 1:
                order = np.random.default_rng([self.seed, epoch, 1]).permutation(len(plan))
                plan = [plan[k] for k in order]
            self._cache = (epoch, plan)
        return self._cache[1]

    @property
    def dropped(self) -> int:
        """Sequences left out of the current epoch by ``drop_last``."""
        return int(self.lengths.size - sum(b.size for b in self.batches()))

    def __len__(self) -> int:
        return len(self.batches())

    def __iter__(self):
        """Yield the remaining batches of the current epoch, then move to the next epoch.

        A consumer that stops right after the last batch (Keras, knowing the number
        of steps, never asks for more) leaves the epoch complete but not closed; a
        new iteration then starts the next epoch.
        """
        if self.position and self.position >= len(self.batches()):
            self.set_epoch(self.epoch + 1)
        plan = self.batches()
        while self.position < len(plan):
            b = plan[self.position]
            self.position += 1
            yield b
        self.set_epoch(self.epoch + 1)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_int("sampler", "epoch", epoch, minimum=0)
        self.position = 0

    # -- resume ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"kind": self.kind, "seed": self.seed, "epoch": self.epoch, "position": self.position,
                "n": int(self.lengths.size), "config": self._config()}

    def load_state_dict(self, state: dict) -> None:
        if not isinstance(state, dict):
            raise ConfigError(f"sampler: `state` must be the dict state_dict() returned. Received type "
                              f"{type(state).__name__}.", argument="state", received=type(state).__name__)
        if state.get("kind") != self.kind or state.get("config") != self._config() or \
                state.get("n") != int(self.lengths.size) or state.get("seed") != self.seed:
            raise ConfigError(
                f"sampler: this state was saved by a different sampler ({state.get('kind')}, "
                f"{state.get('config')}, n={state.get('n')}, seed={state.get('seed')}); this one is "
                f"{self.kind}, {self._config()}, n={self.lengths.size}, seed={self.seed}.",
                argument="state", fix="build the sampler with the same data and options before resuming")
        epoch = check_int("sampler", "state['epoch']", state.get("epoch"), minimum=0)
        position = check_int("sampler", "state['position']", state.get("position"), minimum=0)
        if position > len(self.batches(epoch)):
            raise ConfigError(f"sampler: state['position']={position} is past the {len(self.batches(epoch))} "
                              f"batches of epoch {epoch}.", argument="state", received=position)
        self.epoch, self.position = epoch, position

    def _config(self) -> dict:
        return {"shuffle": self.shuffle, "drop_last": self.drop_last}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._config()}, n={self.lengths.size}, epoch={self.epoch})"


class FixedSampler(Sampler):
    """Fixed-size batches of ``batch_size`` sequences in random order (no length sorting)."""

    kind = "fixed"

    def __init__(self, lengths, *, batch_size: int = 32, seed: int = 0, shuffle: bool = True,
                 drop_last: bool = False):
        self.batch_size = check_int("FixedSampler", "batch_size", batch_size, minimum=1)
        super().__init__(lengths, seed=seed, shuffle=shuffle, drop_last=drop_last)

    def _plan(self, rng):
        n = self.lengths.size
        idx = rng.permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return [idx[i:i + self.batch_size] for i in range(0, stop, self.batch_size)]

    def _config(self):
        return {**super()._config(), "batch_size": self.batch_size}


class BucketSampler(Sampler):
    """Length-bucketed batches of ``batch_size`` sequences.

    Bucket boundaries are estimated from the length distribution so that each of
    the ``n_buckets`` buckets holds an equal share of the total steps (or pass
    ``boundaries``). Within a bucket, sequences are sorted by length with random
    tie-breaks and cut into batches, so a batch pads only to its own longest
    member; the batch order is shuffled each epoch.
    """

    kind = "bucket"

    def __init__(self, lengths, *, batch_size: int = 32, n_buckets: int = 8, boundaries=None,
                 seed: int = 0, shuffle: bool = True, drop_last: bool = False):
        self.batch_size = check_int("BucketSampler", "batch_size", batch_size, minimum=1)
        n_buckets = check_int("BucketSampler", "n_buckets", n_buckets, minimum=1)
        super().__init__(lengths, seed=seed, shuffle=shuffle, drop_last=drop_last)
        if boundaries is None:
            boundaries = equal_step_boundaries(self.lengths, n_buckets)
        boundaries = np.unique(np.asarray(boundaries, dtype=np.int64))
        if self.lengths.size and (boundaries.size == 0 or boundaries[-1] < self.lengths.max()):
            boundaries = np.append(boundaries, self.lengths.max())
        self.boundaries = boundaries

    def _plan(self, rng):
        bucket = np.searchsorted(self.boundaries, self.lengths, side="left")
        plan = []
        for k in range(self.boundaries.size):
            members = np.flatnonzero(bucket == k)
            if not members.size:
                continue
            members = self._sorted_by_length(rng, members)
            stop = members.size - members.size % self.batch_size if self.drop_last else members.size
            plan.extend(members[i:i + self.batch_size] for i in range(0, stop, self.batch_size))
        return plan

    def _config(self):
        return {**super()._config(), "batch_size": self.batch_size,
                "boundaries": self.boundaries.tolist()}


class TokenBudgetSampler(Sampler):
    """Batches that fill a budget of padded steps: ``batch_size * longest <= max_tokens``.

    Sequences are sorted by length (random tie-breaks) and packed greedily, so
    short sequences travel in large batches and long ones in small batches; the
    batch order is shuffled each epoch. A sequence longer than ``max_tokens``
    gets a batch of its own. ``max_batch_size`` caps the batch size (memory,
    optimiser noise).
    """

    kind = "token_budget"

    def __init__(self, lengths, *, max_tokens: int = 16384, max_batch_size: int | None = None,
                 multiple_of: int | None = None, seed: int = 0, shuffle: bool = True):
        self.max_tokens = check_int("TokenBudgetSampler", "max_tokens", max_tokens, minimum=1)
        self.max_batch_size = check_int("TokenBudgetSampler", "max_batch_size", max_batch_size,
                                        minimum=1, allow_none=True)
        self.multiple_of = check_int("TokenBudgetSampler", "multiple_of", multiple_of, minimum=1,
                                     allow_none=True)
        super().__init__(lengths, seed=seed, shuffle=shuffle, drop_last=False)

    def _plan(self, rng):
        order = self._sorted_by_length(rng)
        L = self.lengths[order]
        if self.multiple_of:
            L = round_up(L, self.multiple_of)
        L = np.maximum(L, 1)
        cap = self.max_batch_size or order.size or 1
        plan, start, n = [], 0, order.size
        # sorted ascending: the longest member of [start, end) is L[end - 1]
        while start < n:
            # largest end with (end - start) * L[end - 1] <= budget, found by bisection on the
            # monotone product; at least one sequence per batch
            lo, hi = start + 1, min(n, start + cap)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if (mid - start) * L[mid - 1] <= self.max_tokens:
                    lo = mid
                else:
                    hi = mid - 1
            plan.append(order[start:lo])
            start = lo
        return plan

    def _config(self):
        return {**super()._config(), "max_tokens": self.max_tokens,
                "max_batch_size": self.max_batch_size, "multiple_of": self.multiple_of}


def optimal_cuts(sorted_lengths, *, max_batch_size: int, step_overhead: float,
                 batch_cost: float = 0.0) -> np.ndarray:
    """Split ascending lengths into consecutive batches minimising ``sum(T * (B + step_overhead) + batch_cost)``.

    ``T`` is a batch's longest length, ``B`` its size (at most ``max_batch_size``).
    The cost is the work of a recurrent layer on a CPU: every padded (row, step)
    costs 1, and every time step of the loop costs ``step_overhead`` more whatever
    the batch size; ``batch_cost`` is charged once per batch (it controls the
    number of batches). Dynamic programming over the sorted lengths,
    ``O(n * max_batch_size)``.

    Returns:
        int64 cut positions ``[0, c_1, ..., n]``: batch ``k`` is ``[cuts[k], cuts[k + 1])``.
    """
    L = np.asarray(sorted_lengths, dtype=np.float64)
    n = L.size
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    best = np.zeros(n + 1)
    back = np.zeros(n + 1, dtype=np.int64)
    idx = np.arange(n + 1, dtype=np.float64)
    for j in range(1, n + 1):
        lo = max(0, j - max_batch_size)
        T = max(L[j - 1], 1.0)
        cand = best[lo:j] + T * ((j - idx[lo:j]) + step_overhead) + batch_cost
        k = int(np.argmin(cand))
        best[j] = cand[k]
        back[j] = lo + k
    cuts = [n]
    while cuts[-1] > 0:
        cuts.append(int(back[cuts[-1]]))
    return np.asarray(cuts[::-1], dtype=np.int64)


class AdaptiveSampler(Sampler):
    """Length-sorted batches of varying size chosen to minimise the recurrent layer's work.

    Sequences are sorted by length (random tie-breaks, new each epoch) and cut
    into consecutive batches of at most ``max_batch_size`` that minimise
    ``sum(T * (B + step_overhead))`` (see :func:`optimal_cuts`): padding costs,
    and so does every time step of the recurrent loop. ``step_overhead=0`` cares
    only about padding (many small batches); a large value favours full batches.
    The default 2.0 reaches a padding efficiency near 0.97 on long-tailed
    lengths (``benchmarks/bench_training.py`` measures this).

    ``n_batches`` caps the number of batches per epoch (so an epoch takes as
    many optimiser steps as fixed batches would, e.g. ``ceil(n / 64)``): a cost
    per batch is then found by bisection so that the optimal split uses at most
    that many batches; allow ``max_batch_size`` above the nominal batch size so
    short sequences can travel in larger batches. This runs the dynamic
    programme ~30 times: fine for tens of thousands of sequences.

    The batch order is shuffled every epoch; the cuts depend only on the sorted
    lengths and are computed once.
    """

    kind = "adaptive"

    def __init__(self, lengths, *, max_batch_size: int = 64, step_overhead: float = 2.0,
                 n_batches: int | None = None, seed: int = 0, shuffle: bool = True):
        self.max_batch_size = check_int("AdaptiveSampler", "max_batch_size", max_batch_size, minimum=1)
        self.n_batches = check_int("AdaptiveSampler", "n_batches", n_batches, minimum=1, allow_none=True)
        self.step_overhead = check_float("AdaptiveSampler", "step_overhead", step_overhead, low=0)
        super().__init__(lengths, seed=seed, shuffle=shuffle, drop_last=False)
        srt = np.sort(self.lengths)
        cuts = optimal_cuts(srt, max_batch_size=self.max_batch_size, step_overhead=self.step_overhead)
        target = self.n_batches
        if target is not None:
            target = max(target, -(-srt.size // self.max_batch_size))  # cannot go below n / max size
        if target is not None and cuts.size - 1 > target:
            lo, hi = 0.0, float(srt.sum() + 1) * (self.max_batch_size + self.step_overhead + 1)
            best = None
            for _ in range(60):
                mid = (lo + hi) / 2
                c = optimal_cuts(srt, max_batch_size=self.max_batch_size, step_overhead=self.step_overhead,
                                 batch_cost=mid)
                if c.size - 1 > target:
                    lo = mid
                else:
                    hi, best = mid, c
                    if c.size - 1 == target:
                        break
            cuts = best if best is not None else cuts
        self._cuts = cuts

    def _plan(self, rng):
        order = self._sorted_by_length(rng)
        c = self._cuts
        return [order[c[k]:c[k + 1]] for k in range(c.size - 1)]

    def _config(self):
        return {**super()._config(), "max_batch_size": self.max_batch_size, "step_overhead": self.step_overhead,
                "n_batches": self.n_batches}
