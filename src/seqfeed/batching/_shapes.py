"""`ShapeBucketSampler`: batches drawn from a small fixed set of ``(rows, time_steps)`` shapes.

A compiled train step (XLA, ``jit_compile=True``) is specialised to the exact
shape of its inputs: every new ``(batch, time_steps)`` costs one compilation
(about 2 s for an LSTM(64) train step on a 2-core CPU). Per-batch padding gives
nearly as many shapes as batches; this sampler gives at most ``n_buckets``:

* bucket boundaries ``T_1 < ... < T_K`` are chosen from the length distribution
  to minimise the padded steps of the whole set (an exact dynamic programme
  over the distinct lengths), the last one being the longest sequence;
* every batch of bucket ``k`` is padded to exactly ``T_k`` steps and holds
  exactly ``B_k`` rows: ``batch_size``, or ``max_tokens // T_k`` rows with a token
  budget (short sequences travel in larger batches);
* the last, short batch of a bucket is not dropped and no sequence is repeated:
  :class:`~seqfeed.BatchLoader` fills the missing rows with filler rows whose
  mask is all False, whose length is 0, whose ``index`` is -1 and whose
  ``sample_weight`` is 0, and scales the real rows' weights by ``B_k / real rows``
  so that Keras' per-batch mean loss is the mean over the real rows (as it is
  for a batch that is simply shorter).

The sampler itself yields only real indices (every sequence exactly once per
epoch); :meth:`ShapeBucketSampler.batch_shape` tells the loader the shape to pad
a batch to.
"""

from __future__ import annotations

import numpy as np

from .._errors import ConfigError, check_int
from ._samplers import Sampler

__all__ = ["ShapeBucketSampler", "shape_boundaries"]

# Distinct lengths considered as boundaries by the dynamic programme (lengths are
# rounded up to these candidates beyond this many distinct values).
_MAX_CANDIDATES = 400
# n_buckets=None: the fewest buckets (at most this many) whose padding efficiency
# reaches AUTO_EFFICIENCY.
AUTO_MAX_BUCKETS = 8
AUTO_EFFICIENCY = 0.9


def _candidates(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (candidate) lengths, ascending, and how many sequences round up to each."""
    u, c = np.unique(lengths, return_counts=True)
    if u.size <= _MAX_CANDIDATES:
        return u, c
    cand = np.unique(np.quantile(lengths, np.linspace(0, 1, _MAX_CANDIDATES), method="higher")
                     .astype(np.int64))
    cand = np.unique(np.append(cand, u[-1]))
    pos = np.searchsorted(cand, u, side="left")
    return cand, np.bincount(pos, weights=c, minlength=cand.size).astype(np.int64)


def shape_boundaries(lengths, n_buckets: int) -> np.ndarray:
    """Upper length boundaries of at most ``n_buckets`` buckets minimising padded steps.

    Every sequence is padded to the boundary of its bucket (the smallest
    boundary >= its length); the boundaries minimise ``sum(boundary of each
    sequence)`` exactly (dynamic programme over the distinct lengths, or over
    400 length quantiles when there are more). The last boundary is the longest
    length.

    Example:
        >>> shape_boundaries([5, 5, 5, 6, 50, 50], 2).tolist()
        [6, 50]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    n_buckets = check_int("shape_boundaries", "n_buckets", n_buckets, minimum=1)
    if lengths.size == 0:
        return np.zeros(0, dtype=np.int64)
    u, c = _candidates(lengths)
    U = u.size
    K = min(n_buckets, U)
    C = np.concatenate([[0], np.cumsum(c)]).astype(np.float64)  # C[j]: sequences with candidate < j
    uf = u.astype(np.float64)
    # best[j]: least padded steps covering candidates [0, j) with the buckets so far
    best = C[1:] * uf  # one bucket: everything up to candidate j-1 padded to u[j-1]
    best = np.concatenate([[0.0], best])
    backs = []
    for _ in range(1, K):
        new = np.full(U + 1, np.inf)
        back = np.zeros(U + 1, dtype=np.int64)
        new[0] = 0.0
        for j in range(1, U + 1):
            # last bucket is candidates [i, j): cost (C[j] - C[i]) * u[j-1]
            cand = best[:j] + (C[j] - C[:j]) * uf[j - 1]
            i = int(np.argmin(cand))
            new[j], back[j] = cand[i], i
        best = new
        backs.append(back)
    bounds = [U]
    j = U
    for back in reversed(backs):
        j = int(back[j])
        if j == 0:
            break
        bounds.append(j)
    return np.unique(u[np.asarray(bounds) - 1])


def _padded_steps(lengths: np.ndarray, boundaries: np.ndarray) -> int:
    return int(boundaries[np.searchsorted(boundaries, lengths, side="left")].sum())


class ShapeBucketSampler(Sampler):
    """Length buckets with one fixed ``(rows, time_steps)`` shape per bucket (for XLA).

    Args:
        lengths: int ``(N,)`` sequence lengths (or a SequenceSet).
        batch_size: rows of every batch (without ``max_tokens``), or the cap on
            the rows of a batch with ``max_tokens`` (default 64).
        n_buckets: number of shapes. None (default): the fewest buckets, at most
            8, whose padded steps are within 10% of the real steps (efficiency
            >= 0.9), else 8.
        boundaries: explicit ascending upper bounds instead (the longest length is
            appended when missing).
        max_tokens: a padded-step budget per batch: bucket ``k`` gets
            ``max(1, min(batch_size, max_tokens // T_k))`` rows. None: every bucket
            gets ``batch_size`` rows.
        seed, shuffle: as for the other samplers (batch membership inside a bucket
            and the batch order change every epoch).

    Batches hold real indices only; ``batch_shape(indices)`` gives the
    ``(B_k, T_k)`` the loader pads them to (a bucket's last batch may hold fewer
    than ``B_k`` sequences; the loader adds masked zero-weight filler rows).

    Example:
        >>> s = ShapeBucketSampler([3, 4, 4, 9, 10], batch_size=2, n_buckets=2, seed=0)
        >>> s.boundaries.tolist(), s.shapes()
        ([4, 10], [(2, 4), (2, 10)])
        >>> sorted(int(i) for b in s.batches() for i in b)
        [0, 1, 2, 3, 4]
    """

    kind = "shape_bucket"

    def __init__(self, lengths, *, batch_size: int = 64, n_buckets: int | None = None, boundaries=None,
                 max_tokens: int | None = None, seed: int = 0, shuffle: bool = True):
        op = "ShapeBucketSampler"
        self.batch_size = check_int(op, "batch_size", batch_size, minimum=1)
        n_buckets = check_int(op, "n_buckets", n_buckets, minimum=1, allow_none=True)
        self.max_tokens = check_int(op, "max_tokens", max_tokens, minimum=1, allow_none=True)
        super().__init__(lengths, seed=seed, shuffle=shuffle, drop_last=False)
        L = self.lengths
        if boundaries is not None:
            if n_buckets is not None:
                raise ConfigError(f"{op}: pass `n_buckets` or `boundaries`, not both.", argument="boundaries")
            try:
                b = np.asarray(boundaries, dtype=np.int64).reshape(-1)
            except (TypeError, ValueError):
                raise ConfigError(f"{op}: `boundaries` must be a list of integers. Received: "
                                  f"{boundaries!r:.60}.", argument="boundaries", received=boundaries) from None
            if b.size and b.min() < 0:
                raise ConfigError(f"{op}: `boundaries` must be >= 0. Received: {b.tolist()!r:.60}.",
                                  argument="boundaries", received=b.tolist())
            b = np.unique(b)
            if L.size and (b.size == 0 or b[-1] < L.max()):
                b = np.append(b, L.max())
            # keep only boundaries that some sequence uses
            if L.size:
                used = np.unique(np.searchsorted(b, L, side="left"))
                b = b[used]
        elif n_buckets is not None:
            b = shape_boundaries(L, n_buckets)
        else:
            b = None
            real = int(L.sum())
            for k in range(1, AUTO_MAX_BUCKETS + 1):
                b = shape_boundaries(L, k)
                if not L.size or real >= AUTO_EFFICIENCY * _padded_steps(L, b):
                    break
        self.boundaries = b
        if self.max_tokens is None:
            sizes = np.full(b.size, self.batch_size, dtype=np.int64)
        else:
            sizes = np.clip(self.max_tokens // np.maximum(b, 1), 1, self.batch_size).astype(np.int64)
        self.batch_sizes = sizes
        self._bucket = np.searchsorted(b, L, side="left") if L.size else np.zeros(0, dtype=np.int64)

    def _plan(self, rng):
        plan = []
        for k in range(self.boundaries.size):
            members = np.flatnonzero(self._bucket == k)
            if not members.size:
                continue
            if self.shuffle:
                members = members[rng.permutation(members.size)]
            size = int(self.batch_sizes[k])
            plan.extend(members[i:i + size] for i in range(0, members.size, size))
        return plan

    def batch_shape(self, indices) -> tuple[int, int]:
        """``(rows, time_steps)`` that a batch of these indices is padded to."""
        indices = np.asarray(indices, dtype=np.int64)
        if not indices.size:
            return (0, 0)
        k = int(self._bucket[indices].max())
        return int(self.batch_sizes[k]), int(self.boundaries[k])

    def shapes(self) -> list[tuple[int, int]]:
        """The distinct ``(rows, time_steps)`` shapes of an epoch (one per non-empty bucket)."""
        used = np.unique(self._bucket)
        return [(int(self.batch_sizes[k]), int(self.boundaries[k])) for k in used.tolist()]

    @property
    def filler_rows(self) -> int:
        """Filler rows per epoch (the same every epoch): padded rows that hold no sequence."""
        counts = np.bincount(self._bucket, minlength=self.boundaries.size)
        sizes = self.batch_sizes
        return int(np.sum((-counts) % sizes * (counts > 0)))

    def padded_steps(self) -> int:
        """Padded steps per epoch, filler rows included."""
        counts = np.bincount(self._bucket, minlength=self.boundaries.size)
        n_batches = -(-counts // self.batch_sizes)
        return int(np.sum(n_batches * self.batch_sizes * self.boundaries))

    def _config(self):
        return {"shuffle": self.shuffle, "batch_size": self.batch_size, "max_tokens": self.max_tokens,
                "boundaries": self.boundaries.tolist()}


# ---------------------------------------------------------------------------------------------
# When does XLA pay off? A cost model for one LSTM train step on a CPU.
# ---------------------------------------------------------------------------------------------
# Measured on a 2-core x86-64 CPU (TensorFlow 2.21, Keras 3.15), LSTM(64), 8-12 features, one
# train step (forward + backward + Adam) of a (B, T) batch, in milliseconds:
#   graph (no XLA):  2.8 + 0.14 * T + 0.0063 * B * T
#   XLA:             1.0 + 0.06 * T + 0.0025 * B * T     (e.g. (16, 16): 2.9; (64, 200): 45)
#   XLA compilation: ~2 s per distinct (B, T) shape, train step; ~0.4 of that for an
#                    evaluation step (validation), whatever T (the time loop stays a loop).
# Single steps with concrete shapes gave 2.0 + 0.10 T + 0.0045 B T for the graph step; inside
# `fit`, whose graph has free batch and time axes, graph epochs are ~1.4x slower than that (2.6 s
# vs 1.2 s per XLA epoch for 2,048 long-tailed sequences on an idle machine; 2.5x on a loaded one),
# so the graph constants carry that factor. The B * T term grows with the square of the units
# (4 gates x units x (features + units)); it is scaled by (units / 64) ** 2 * layers. On a loaded
# machine compilation slows down far more than the steps (25-45 s per shape measured with 5+
# other jobs on the 2 cores), so XLA must save XLA_MARGIN times and at least XLA_MIN_SAVING_S.
STEP_MS = {"graph": (2.8, 0.14, 0.0063), "xla": (1.0, 0.06, 0.0025)}
COMPILE_S_PER_SHAPE = 2.0
EVAL_COMPILE_FRACTION = 0.4
XLA_MARGIN = 1.25
XLA_MIN_SAVING_S = 5.0
XLA_BUCKET_CHOICES = (1, 2, 3, 4, 6, 8, 12, 16)


def step_seconds(shapes, kind: str, *, units: int = 64, layers: int = 1) -> float:
    """Estimated seconds of the train steps of batches with these ``(B, T)`` shapes."""
    a, b, c = STEP_MS[kind]
    scale = (max(units, 1) / 64.0) ** 2 * max(layers, 1)
    return sum(a + b * T + c * scale * B * T for B, T in shapes) / 1e3


def xla_plan(lengths, *, batch_size: int, epochs: int, units: int = 64, layers: int = 1,
             baseline_shapes=None, val_lengths=None, val_batch_size: int = 64) -> dict:
    """Choose between today's per-batch padding (graph mode) and XLA on bounded shapes.

    For each bucket count in ``XLA_BUCKET_CHOICES`` the XLA estimate is
    ``compilations + epochs x steps`` (:func:`step_seconds`, ``COMPILE_S_PER_SHAPE``
    per train shape, ``EVAL_COMPILE_FRACTION`` of it per validation shape); the
    graph estimate is ``epochs x steps`` of ``baseline_shapes`` (the ``(B, T)`` of
    one epoch of the sampler used otherwise). XLA is chosen when its best
    estimate is below the graph estimate by ``XLA_MARGIN`` and by at least
    ``XLA_MIN_SAVING_S`` seconds.

    Returns:
        dict with ``use_xla``, ``n_buckets`` (of the best XLA plan), the estimates in
        seconds (``xla_s``, ``compile_s``, ``graph_s``), ``shapes`` and ``why``.
    """
    L = np.asarray(lengths, dtype=np.int64)
    graph_s = epochs * step_seconds(baseline_shapes or [], "graph", units=units, layers=layers)
    best = None
    for k in XLA_BUCKET_CHOICES:
        s = ShapeBucketSampler(L, batch_size=batch_size, n_buckets=k, shuffle=False)
        if best is not None and s.boundaries.size < k:
            break  # fewer distinct lengths than buckets: nothing more to gain
        plan = [s.batch_shape(b) for b in s.batches(0)]
        n_val = 0
        if val_lengths is not None and len(val_lengths):
            vs = ShapeBucketSampler(val_lengths, batch_size=val_batch_size,
                                    boundaries=val_boundaries(s.boundaries, val_lengths), shuffle=False)
            n_val = len(vs.shapes())
        compile_s = COMPILE_S_PER_SHAPE * (len(s.shapes()) + EVAL_COMPILE_FRACTION * n_val)
        total = compile_s + epochs * step_seconds(plan, "xla", units=units, layers=layers)
        if best is None or total < best["xla_s"]:
            best = {"n_buckets": int(s.boundaries.size), "xla_s": total, "compile_s": compile_s,
                    "shapes": len(s.shapes()), "efficiency": float(L.sum() / max(s.padded_steps(), 1))}
    best = best or {"n_buckets": 1, "xla_s": float("inf"), "compile_s": 0.0, "shapes": 0, "efficiency": 1.0}
    use = bool(L.size) and best["xla_s"] * XLA_MARGIN < graph_s and graph_s - best["xla_s"] >= XLA_MIN_SAVING_S
    why = (f"estimated {best['xla_s']:.1f} s with XLA on {best['shapes']} batch shapes "
           f"({best['compile_s']:.1f} s of compilation, padding efficiency {best['efficiency']:.2f}) vs "
           f"{graph_s:.1f} s without, over {epochs} epochs: "
           + ("XLA" if use else f"no XLA (it must save at least {XLA_MARGIN:g}x and {XLA_MIN_SAVING_S:g} s)"))
    return {"use_xla": use, **best, "graph_s": graph_s, "why": why}


def val_boundaries(train_boundaries: np.ndarray, val_lengths) -> np.ndarray:
    """The training boundaries, extended by the longest validation length if needed."""
    m = int(np.max(val_lengths))
    b = np.asarray(train_boundaries, dtype=np.int64)
    return b if b.size and b[-1] >= m else np.append(b, m)
