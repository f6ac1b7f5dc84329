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
from ._samplers import Sampler, _lengths_of

__all__ = ["FixedShapeSampler", "ShapeBucketSampler", "shape_boundaries"]

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

    Raises:
        ConfigError: ``n_buckets`` < 1.
        DataError: ``lengths`` of the wrong dtype (not whole numbers) or negative.

    Example:
        >>> shape_boundaries([5, 5, 5, 6, 50, 50], 2).tolist()
        [6, 50]
    """
    lengths = _lengths_of(lengths, "shape_boundaries")
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


def _check_boundaries(op: str, boundaries, minimum: int, example: str) -> np.ndarray:
    """Sorted unique int64 bucket bounds, each at least ``minimum``."""
    try:
        b = np.asarray(boundaries, dtype=np.int64).reshape(-1)
    except (TypeError, ValueError):
        raise ConfigError(f"{op}: `boundaries` must be a list of integers. Received: {boundaries!r:.60}.",
                          argument="boundaries", received=boundaries,
                          fix=f"pass bucket bounds as a list of whole numbers, {example}") from None
    if b.size and b.min() < minimum:
        raise ConfigError(f"{op}: `boundaries` must be >= {minimum}. Received: {b.tolist()!r:.60}.",
                          argument="boundaries", received=b.tolist(),
                          fix=f"pass bucket bounds of at least {minimum}, {example}")
    return np.unique(b)


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

    Raises:
        ConfigError: both ``n_buckets`` and ``boundaries``, or an invalid option.
        ShapeError: ``lengths`` not 1-D.
        DataError: ``lengths`` of the wrong dtype (not whole numbers) or negative.

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
                raise ConfigError(f"{op}: pass `n_buckets` or `boundaries`, not both.", argument="boundaries",
                                  received=boundaries, fix="pass either n_buckets or boundaries")
            b = _check_boundaries(op, boundaries, 0, "e.g. [32, 64, 128]")
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


class FixedShapeSampler(Sampler):
    """Another sampler's batches, each padded to one of a few fixed ``(rows, time_steps)`` shapes.

    The batches (which sequences, in which order, every epoch) are exactly those
    of ``base``; only the shape a batch is padded to changes: the smallest
    boundary ``T_k >= `` its longest sequence, and ``rows`` rows (the loader adds
    masked filler rows of zero sample weight, see :class:`ShapeBucketSampler`).
    With a recurrent loop that stops at the batch's last real step (what
    ``SequenceModel.fit`` compiles with XLA), training computes what it computes
    on ``base``'s per-batch padded batches, on a handful of compiled shapes.

    Args:
        base: the sampler whose batches are used (its seed, shuffling and state).
        boundaries: ascending time-step boundaries; the longest length is
            appended when missing. Default: ``shape_boundaries(lengths, n_buckets)``.
        n_buckets: number of boundaries when ``boundaries`` is None (default 2).
        rows: rows of every batch; default the largest batch of ``base``'s
            epoch 0 (a larger batch later keeps its own row count).

    Example:
        >>> from seqfeed import BucketSampler
        >>> s = FixedShapeSampler(BucketSampler([3, 4, 4, 9, 10], batch_size=2, n_buckets=2),
        ...                       boundaries=[4])
        >>> sorted(s.batch_shape(b) for b in s.batches())
        [(2, 4), (2, 10), (2, 10)]
    """

    kind = "fixed_shape"

    def __init__(self, base: Sampler, *, boundaries=None, n_buckets: int = 2, rows: int | None = None):
        op = "FixedShapeSampler"
        if not isinstance(base, Sampler):
            raise ConfigError(f"{op}: `base` must be a seqfeed sampler. Received type {type(base).__name__}.",
                              argument="base", received=type(base).__name__,
                              fix="pass a sampler, e.g. FixedShapeSampler(BucketSampler(lengths, batch_size=64))")
        n_buckets = check_int(op, "n_buckets", n_buckets, minimum=1)
        rows = check_int(op, "rows", rows, minimum=1, allow_none=True)
        super().__init__(base.lengths, seed=base.seed, shuffle=base.shuffle, drop_last=base.drop_last)
        self.base = base
        self.epoch, self.position = base.epoch, base.position
        L = self.lengths
        if boundaries is None:
            b = shape_boundaries(L, n_buckets)
        else:
            b = _check_boundaries(op, boundaries, 1, "e.g. boundaries=[64, 256]")
        if L.size and (b.size == 0 or b[-1] < L.max()):
            b = np.append(b, L.max())
        self.boundaries = b
        if rows is None:
            sizes = [int(x.size) for x in base.batches(0)]
            rows = max(sizes) if sizes else 1
        self.rows = int(rows)

    def _plan(self, rng):
        return self.base._plan(rng)

    def batches(self, epoch: int | None = None) -> list[np.ndarray]:
        epoch = self.epoch if epoch is None else epoch
        return self.base.batches(epoch)

    def batch_shape(self, indices) -> tuple[int, int]:
        """``(rows, time_steps)`` that a batch of these indices is padded to."""
        indices = np.asarray(indices, dtype=np.int64)
        if not indices.size:
            return (0, 0)
        T = int(self.lengths[indices].max())
        return max(self.rows, int(indices.size)), int(self.boundaries[np.searchsorted(self.boundaries, T)])

    def shapes(self, epoch: int | None = None) -> list[tuple[int, int]]:
        """The distinct ``(rows, time_steps)`` shapes of an epoch's batches."""
        return sorted({self.batch_shape(b) for b in self.batches(epoch) if b.size})

    def _config(self):
        return {"base": self.base.kind, "base_config": self.base._config(), "rows": self.rows,
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


def sorted_epoch_seconds(lengths, batch_size: int, kind: str = "graph", *, units: int = 64,
                         layers: int = 1) -> float:
    """Estimated seconds of one epoch of length-sorted batches of ``batch_size`` over ``lengths``
    (:func:`step_seconds`; 0 for no sequence): the estimate when no sampler's batches are at hand."""
    L = np.sort(np.asarray(lengths, dtype=np.int64))
    shapes = [(int(c.size), int(c[-1])) for c in np.array_split(L, max(1, -(-L.size // max(1, batch_size))))
              if c.size]
    return step_seconds(shapes, kind, units=units, layers=layers)


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


# With a loop that stops at the batch's last real step (seqfeed.keras._bounded), a compiled step of
# a batch padded to T time steps whose longest sequence has n steps costs, in milliseconds,
#   1.0 + 0.06 * n + 0.0025 * B * n + 0.00055 * B * T
# (the last term: buffers sized for the T steps, e.g. the loop's gradient stacks, are still
# allocated and zeroed; measured 0.035 ms per padded step for B=64, units 64).
BOUNDED_PAD_MS = 0.00055


def bounded_step_seconds(batches, *, units: int = 64, layers: int = 1) -> float:
    """Estimated seconds of compiled steps of ``(B, n, T)`` batches (rows, longest real length,
    padded time steps) with the bounded loop."""
    a, b, c = STEP_MS["xla"]
    scale = (max(units, 1) / 64.0) ** 2 * max(layers, 1)
    pad = BOUNDED_PAD_MS * (max(units, 1) / 64.0) * max(layers, 1)
    return sum(a + b * n + c * scale * B * n + pad * B * T for B, n, T in batches) / 1e3


def bounded_plan(batches, lengths, *, epochs: int, units: int = 64, layers: int = 1, val_batches=None) -> dict:
    """XLA with the bounded loop on another sampler's batches padded to a few shapes, vs no XLA.

    ``batches``: ``(rows, longest length)`` of one epoch of the sampler used otherwise (its
    per-batch padded shapes); ``val_batches`` likewise for the validation batches (evaluated
    once per epoch). For each bucket count in ``XLA_BUCKET_CHOICES`` the time-step boundaries
    minimise the padded steps of these batches (:func:`shape_boundaries` over their longest
    lengths, the last boundary being the longest sequence); the estimate is
    ``compilations + epochs x`` :func:`bounded_step_seconds` of the batches padded to
    ``(rows, boundary)``, where ``rows`` is the largest batch. XLA is chosen on the same terms
    as in :func:`xla_plan`.

    Returns:
        dict with ``use_xla``, ``boundaries`` (of the best plan), ``rows``, ``shapes``, the
        estimates in seconds (``xla_s``, ``compile_s``, ``graph_s``) and ``why``.
    """
    L = np.asarray(lengths, dtype=np.int64)
    batches = [(int(B), int(n)) for B, n in batches if B]
    val_batches = [(int(B), int(n)) for B, n in (val_batches or []) if B]
    graph_s = epochs * (step_seconds(batches, "graph", units=units, layers=layers)
                        + 0.4 * step_seconds(val_batches, "graph", units=units, layers=layers))
    best = None
    if batches:
        rows = max(B for B, _ in batches)
        v_rows = max([B for B, _ in val_batches], default=0)
        n_b = np.array([n for _, n in batches], dtype=np.int64)
        longest = max(int(L.max()) if L.size else 0, int(n_b.max()))
        for k in XLA_BUCKET_CHOICES:
            bounds = shape_boundaries(n_b, k)
            if bounds[-1] < longest:
                bounds = np.append(bounds, longest)
            if best is not None and bounds.size < k:
                break
            T = bounds[np.searchsorted(bounds, n_b)]
            n_shapes = len(np.unique(T))
            steps = bounded_step_seconds([(rows, n, t) for n, t in zip(n_b.tolist(), T.tolist())],
                                         units=units, layers=layers)
            val_s, n_val = 0.0, 0
            if val_batches:
                vb = np.append(bounds, max(n for _, n in val_batches)) if \
                    max(n for _, n in val_batches) > bounds[-1] else bounds
                vT = [int(vb[np.searchsorted(vb, n)]) for _, n in val_batches]
                n_val = len(set(vT))
                val_s = 0.4 * bounded_step_seconds([(v_rows, n, t) for (_, n), t in zip(val_batches, vT)],
                                                   units=units, layers=layers)
            compile_s = COMPILE_S_PER_SHAPE * (n_shapes + EVAL_COMPILE_FRACTION * n_val)
            total = compile_s + epochs * (steps + val_s)
            if best is None or total < best["xla_s"]:
                best = {"boundaries": [int(v) for v in bounds], "rows": rows, "xla_s": total,
                        "compile_s": compile_s, "shapes": n_shapes}
    best = best or {"boundaries": [], "rows": 0, "xla_s": float("inf"), "compile_s": 0.0, "shapes": 0}
    use = bool(batches) and best["xla_s"] * XLA_MARGIN < graph_s and graph_s - best["xla_s"] >= XLA_MIN_SAVING_S
    why = (f"estimated {best['xla_s']:.1f} s with XLA on {best['shapes']} batch shapes "
           f"({best['compile_s']:.1f} s of compilation; the same batches, the loop stopping at each "
           f"batch's last real step) vs {graph_s:.1f} s without, over {epochs} epochs: "
           + ("XLA" if use else f"no XLA (it must save at least {XLA_MARGIN:g}x and {XLA_MIN_SAVING_S:g} s)"))
    return {"use_xla": use, **best, "graph_s": graph_s, "why": why}


def val_boundaries(train_boundaries: np.ndarray, val_lengths) -> np.ndarray:
    """The training boundaries, extended by the longest validation length if needed."""
    m = int(np.max(val_lengths))
    b = np.asarray(train_boundaries, dtype=np.int64)
    return b if b.size and b[-1] >= m else np.append(b, m)
