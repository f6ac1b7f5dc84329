"""`padding_report`: what each batching strategy costs in padded steps."""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import round_up
from ._samplers import AdaptiveSampler, BucketSampler, FixedSampler, TokenBudgetSampler, _lengths_of

__all__ = ["padding_report", "PaddingReport"]


@dataclass
class PaddingReport:
    """Rows of ``{strategy, setting, real_steps, padded_steps, efficiency, loop_steps, batches, shapes}``.

    ``loop_steps`` is the sum of the batches' time steps: the number of iterations
    of the recurrent loop per epoch, which drives CPU time as much as padding does.
    """

    rows: list

    def to_dict(self) -> dict:
        return {"rows": [dict(r) for r in self.rows]}

    def best(self) -> dict:
        return max(self.rows, key=lambda r: (r["efficiency"], -r["batches"]))

    def __str__(self) -> str:
        head = f"{'strategy':<14}{'setting':<22}{'real steps':>12}{'padded steps':>14}{'efficiency':>11}" \
               f"{'loop steps':>11}{'batches':>9}{'shapes':>8}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r['strategy']:<14}{r['setting']:<22}{r['real_steps']:>12,}{r['padded_steps']:>14,}"
                         f"{r['efficiency']:>11.3f}{r['loop_steps']:>11,}{r['batches']:>9,}{r['shapes']:>8,}")
        return "\n".join(lines)


def _row(strategy, setting, lengths, plan, multiple_of=None):
    real = int(sum(int(lengths[b].sum()) for b in plan))
    padded = loops = 0
    shapes = set()
    for b in plan:
        T = int(lengths[b].max()) if b.size else 0
        T = round_up(T, multiple_of)
        padded += b.size * T
        loops += T
        shapes.add((b.size, T))
    return {"strategy": strategy, "setting": setting, "real_steps": real, "padded_steps": padded,
            "efficiency": real / padded if padded else 1.0, "loop_steps": loops, "batches": len(plan),
            "shapes": len(shapes)}


def _shape_row(lengths, batch_size, n_buckets, seed) -> dict:
    """``shape_bucket``: fixed (rows, time_steps) per bucket (for XLA); filler rows count as padding."""
    from ._shapes import ShapeBucketSampler

    s = ShapeBucketSampler(lengths, batch_size=batch_size, n_buckets=n_buckets, seed=seed)
    plan = s.batches()
    real = int(lengths.sum())
    padded = s.padded_steps()
    return {"strategy": "shape_bucket", "setting": f"batch {batch_size}, {s.boundaries.size} shapes",
            "real_steps": real, "padded_steps": padded, "efficiency": real / padded if padded else 1.0,
            "loop_steps": sum(s.batch_shape(b)[1] for b in plan), "batches": len(plan),
            "shapes": len(s.shapes())}


def padding_report(data, *, batch_sizes=(32, 64), token_budgets=(8192, 16384), n_buckets: int = 8,
                   multiple_of: int | None = None, seed: int = 0) -> PaddingReport:
    """Compare batching strategies on ``data`` (lengths, or a SequenceSet).

    Strategies: ``global`` (every batch padded to the longest sequence of the
    whole set), ``fixed`` (random batches padded per batch), ``bucket`` (equal-step
    length buckets), ``adaptive`` (:class:`AdaptiveSampler`), ``shape_bucket``
    (:class:`ShapeBucketSampler`: ``n_buckets`` fixed shapes for XLA, filler rows
    counted as padding) for each batch size, and ``token_budget`` for each budget.

    Returns:
        A :class:`PaddingReport`; ``print()`` it for a table, ``.rows`` for data.
    """
    from .._errors import ConfigError, check_int

    op = "padding_report"
    for name, seq in (("batch_sizes", batch_sizes), ("token_budgets", token_budgets)):
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
            raise ConfigError(f"{op}: `{name}` must be a list of integers >= 1. Received: {name}={seq!r}.",
                              argument=name, received=seq)
        for v in seq:
            check_int(op, name, v, minimum=1)
    n_buckets = check_int(op, "n_buckets", n_buckets, minimum=1)
    multiple_of = check_int(op, "multiple_of", multiple_of, minimum=1, allow_none=True)
    seed = check_int(op, "seed", seed, minimum=0)
    lengths = _lengths_of(data)
    rows = []
    longest = int(lengths.max()) if lengths.size else 0
    for bs in batch_sizes:
        plan = FixedSampler(lengths, batch_size=bs, seed=seed).batches()
        real = int(lengths.sum())
        padded = lengths.size * longest
        rows.append({"strategy": "global", "setting": f"batch {bs}", "real_steps": real,
                     "padded_steps": padded, "efficiency": real / padded if padded else 1.0,
                     "loop_steps": len(plan) * longest, "batches": len(plan),
                     "shapes": len({b.size for b in plan})})
        rows.append(_row("fixed", f"batch {bs}", lengths, plan, multiple_of))
        plan = BucketSampler(lengths, batch_size=bs, n_buckets=n_buckets, seed=seed).batches()
        rows.append(_row("bucket", f"batch {bs}, {n_buckets} buckets", lengths, plan, multiple_of))
        plan = AdaptiveSampler(lengths, max_batch_size=bs, seed=seed).batches()
        rows.append(_row("adaptive", f"batch <= {bs}", lengths, plan, multiple_of))
        rows.append(_shape_row(lengths, bs, n_buckets, seed))
    for budget in token_budgets:
        plan = TokenBudgetSampler(lengths, max_tokens=budget, multiple_of=multiple_of, seed=seed).batches()
        rows.append(_row("token_budget", f"{budget:,} steps", lengths, plan, multiple_of))
    return PaddingReport(rows)
