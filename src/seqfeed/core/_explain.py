"""`explain`: say in plain words what an object is as an LSTM input and what to do."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from .._errors import check_choice, shape_str

__all__ = ["explain", "Diagnosis"]


@dataclass
class Diagnosis:
    """The result of :func:`explain`.

    Attributes:
        what: one sentence saying what the input is.
        lstm_shape: the ``(B, T, F)`` shape it becomes (``T`` = longest), or None
            when it cannot become an LSTM input as it is.
        problems: list of ``(message, fix)`` pairs; empty when the input is usable.
        notes: remarks that are not errors (e.g. how to mask).
    """

    what: str
    lstm_shape: tuple | None = None
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [self.what]
        if self.lstm_shape is not None:
            lines.append(f"As an LSTM input: {shape_str(self.lstm_shape)} (batch, time_steps, features).")
        for msg, fix in self.problems:
            lines.append(f"PROBLEM: {msg}")
            if fix:
                lines.append(f"  fix: {fix}")
        for note in self.notes:
            lines.append(f"note: {note}")
        if self.ok:
            lines.append("OK: usable as an LSTM input.")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"what": self.what, "ok": self.ok,
                "lstm_shape": None if self.lstm_shape is None else list(self.lstm_shape),
                "problems": [{"message": m, "fix": f} for m, f in self.problems],
                "notes": list(self.notes)}


def _first_nonfinite(values: np.ndarray, offsets: np.ndarray | None):
    if values.dtype.kind != "f" or values.size == 0:
        return None
    bad = ~np.isfinite(values.reshape(values.shape[0], -1)).all(axis=1)
    if not bad.any():
        return None
    k = int(np.argmax(bad))
    if offsets is None:
        return 0, k, int(bad.sum())
    i = int(np.searchsorted(offsets, k, side="right") - 1)
    return i, k - int(offsets[i]), int(bad.sum())


def _nonfinite_problem(found, n_total):
    i, t, count = found
    return (f"{count} of {n_total} steps hold NaN or inf; the first is sequence {i}, step {t}.",
            "fill or drop them before training (an LSTM turns one NaN into NaN outputs and losses); "
            "the table readers offer nan='drop'|'ffill'|'zero'")


def explain(data, *, layout: str | None = None) -> Diagnosis:
    """Diagnose ``data`` as an LSTM input. Never raises on bad data: it reports.

    Recognises: a lone series, a ``(time, features)`` / ``(batch, time)``
    ambiguous 2-D array, a 3-D batch, the 4-D result of a double ``expand_dims``
    (the seed document's mistake), object arrays or lists of ragged sequences,
    NaN/inf (with the first sequence and step), non-numeric dtypes, empty
    sequences and sequences whose feature counts differ.

    Raises:
        ConfigError: ``layout`` is not None, 'time_features' or 'batch_time' (bad data itself is reported,
            never raised).

    Example:
        >>> print(explain(np.zeros((3, 15, 1, 1))).problems[0][1])
        drop the extra axis: x = np.squeeze(x, axis=-1) gives (3, 15, 1)
    """
    if layout is not None:
        check_choice("explain", "layout", layout, ("time_features", "batch_time"))
    try:
        return _explain(data, layout)
    except Exception as e:  # noqa: BLE001 - documented never to raise: report instead
        return Diagnosis(f"An object of type {type(data).__name__} that could not be examined.",
                         problems=[(f"{type(e).__name__}: {e}",
                                    "convert it to a NumPy array or a list of arrays")])


def _explain(data, layout) -> Diagnosis:
    from ._sequence_set import SequenceSet

    if isinstance(data, SequenceSet):
        return _explain_set(data)
    if type(data).__module__.startswith("pyarrow"):
        from ._convert import as_sequence_set
        try:
            return _explain_set(as_sequence_set(data))
        except ValueError as e:
            return Diagnosis(f"An Arrow {data.type} column.", problems=[(str(e), None)])
    if isinstance(data, (list, tuple)) or (isinstance(data, np.ndarray) and data.dtype == object):
        return _explain_list(data)
    try:
        arr = np.asarray(data)
    except Exception as e:  # noqa: BLE001 - report whatever NumPy says
        return Diagnosis(f"An object of type {type(data).__name__} that NumPy cannot read.",
                         problems=[(str(e), "convert it to a NumPy array or a list of arrays")])
    return _explain_array(arr, layout)


def _explain_array(arr: np.ndarray, layout) -> Diagnosis:
    shape = arr.shape
    if arr.dtype.kind not in "biuf":
        d = Diagnosis(f"An array of shape {shape_str(shape)} with dtype {arr.dtype}.")
        d.problems.append((f"dtype {arr.dtype} is not numeric; an LSTM needs numbers.",
                           "convert with arr.astype('float32'); encode categories as integer ids "
                           "(and an Embedding layer) or one-hot features"))
        return d
    if arr.ndim == 0:
        return Diagnosis("A single number, not a sequence.",
                         problems=[("an LSTM needs at least one sequence of time steps.",
                                    "collect the values over time into a 1-D array")])
    if arr.ndim == 1:
        d = Diagnosis(f"One series of {shape[0]} time steps with one feature.", (1, shape[0], 1))
        d.notes.append("seqfeed.as_lstm_input(x) reshapes it to (1, T, 1); for forecasting cut it "
                       "into windows instead of feeding one long sequence.")
    elif arr.ndim == 2:
        a, b = shape
        if layout == "time_features":
            d = Diagnosis(f"One sequence of {a} time steps with {b} features.", (1, a, b))
        elif layout == "batch_time":
            d = Diagnosis(f"A batch of {a} sequences of {b} time steps, one feature each.", (a, b, 1))
        else:
            d = Diagnosis(f"A 2-D array of shape {shape_str(shape)}: ambiguous.")
            d.problems.append((
                f"it is either ONE sequence of {a} time steps x {b} features -> (1, {a}, {b}), "
                f"or {a} sequences of {b} time steps x 1 feature -> ({a}, {b}, 1).",
                "say which: seqfeed.as_lstm_input(x, layout='time_features') or "
                "layout='batch_time' (or reshape yourself: x[None] / x[..., None])"))
    elif arr.ndim == 3:
        B, T, F = shape
        d = Diagnosis(f"A batch of {B} sequences x {T} time steps x {F} features.", shape)
        if arr.size and T > 1:
            flat = arr.reshape(B, T, -1)
            zero_tail = ~(flat != 0).any(axis=2)
            padded_rows = int(zero_tail[:, -1].sum())
            if padded_rows and padded_rows < B:
                d.notes.append(
                    f"{padded_rows} of {B} rows end in all-zero steps: if that is padding, pass the "
                    f"true lengths (seqfeed.pad(x, lengths=...)) rather than Masking(0.0), which "
                    f"would also hide real all-zero steps.")
    elif arr.ndim == 4:
        d = Diagnosis(f"A 4-D array of shape {shape_str(shape)}.")
        if shape[-1] == 1:
            d.problems.append((
                "an LSTM input is 3-D; the trailing axis of size 1 looks like a feature axis "
                "added twice (np.expand_dims(..., -1) after stacking (T, 1) sequences, the seed "
                "document's Example 3).",
                f"drop the extra axis: x = np.squeeze(x, axis=-1) gives {shape_str(shape[:3])}"))
        else:
            d.problems.append((
                "an LSTM input is 3-D (batch, time_steps, features).",
                f"merge the per-step axes: x.reshape({shape[0]}, {shape[1]}, -1) gives "
                f"({shape[0]}, {shape[1]}, {shape[2] * shape[3]})"))
        return d
    else:
        return Diagnosis(f"A {arr.ndim}-D array of shape {shape_str(shape)}.",
                         problems=[("an LSTM input is 3-D (batch, time_steps, features).",
                                    "reshape so that the first axis is the batch, the second time")])
    if arr.ndim == 3:
        found = _first_nonfinite(arr.reshape(-1, shape[2]), np.arange(0, arr.shape[0] * arr.shape[1] + 1,
                                                                       max(arr.shape[1], 1)))
        n_total = shape[0] * shape[1]
    else:
        v = arr.reshape(-1, 1) if arr.ndim == 1 else (arr if layout != "batch_time" else arr.reshape(-1, 1))
        offs = None if layout != "batch_time" else np.arange(0, arr.size + 1, max(arr.shape[-1], 1))
        found = _first_nonfinite(v, offs)
        n_total = v.shape[0]
    if found:
        d.problems.append(_nonfinite_problem(found, n_total))
    return d


def _explain_list(data) -> Diagnosis:
    items = list(data)
    n = len(items)
    if n == 0:
        return Diagnosis("An empty list: no sequences.",
                         problems=[("there is nothing to train on.", "pass at least one sequence")])
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in items):
        d = Diagnosis(f"A list of {n} numbers: one series of {n} time steps with one feature.",
                      (1, n, 1))
        arr = np.asarray(items, dtype=np.float64)
        found = _first_nonfinite(arr.reshape(-1, 1), None)
        if found:
            d.problems.append(_nonfinite_problem(found, n))
        return d
    arrs, problems = [], []
    for i, s in enumerate(items):
        if isinstance(s, (numbers.Number, str, bytes)):
            problems.append((f"element {i} is a scalar ({s!r:.30}) among sequences.",
                             "every element must be a sequence (T_i,) or (T_i, F)"))
            arrs.append(None)
            continue
        try:
            a = np.asarray(s)
        except ValueError:
            problems.append((f"sequence {i} has steps of different sizes (ragged rows).",
                             "every step must have the same number of features"))
            arrs.append(None)
            continue
        if a.ndim == 0:
            problems.append((f"element {i} is a 0-d array ({a!r:.30}) among sequences.",
                             "every element must be a sequence (T_i,) or (T_i, F)"))
            arrs.append(None)
            continue
        if a.dtype == object:
            problems.append((f"sequence {i} has steps of different sizes or non-numeric values.",
                             "every step must have the same number of numeric features"))
            arrs.append(None)
            continue
        arrs.append(a)
    good = [a for a in arrs if a is not None]
    for i, a in enumerate(arrs):
        if a is not None and a.dtype.kind not in "biuf":
            problems.append((f"sequence {i} has dtype {a.dtype}, not numbers.",
                             "convert with np.asarray(seq, dtype='float32')"))
            break
    for i, a in enumerate(arrs):
        if a is not None and a.ndim not in (1, 2):
            fix = ("drop the trailing axis of size 1 (np.squeeze(seq, -1))" if a.ndim == 3
                   and a.shape[-1] == 1 else "each sequence must be (T_i,) or (T_i, F)")
            problems.append((f"sequence {i} has shape {shape_str(a.shape)}.", fix))
            break
    feats = [(i, 1 if a.ndim == 1 else a.shape[1]) for i, a in enumerate(arrs)
             if a is not None and a.ndim in (1, 2) and len(a)]
    if feats:
        i0, f0 = feats[0]
        other = next(((i, f) for i, f in feats if f != f0), None)
        if other:
            problems.append((f"sequence {other[0]} has {other[1]} features per step but sequence "
                             f"{i0} has {f0}.", "give every sequence the same features in the same order"))
    lengths = [len(a) if a is not None else 0 for a in arrs]
    empty = [i for i, a in enumerate(arrs) if a is not None and len(a) == 0]
    if empty:
        problems.append((f"{len(empty)} empty sequence(s), the first at index {empty[0]}: a fully "
                         f"masked row has no output to learn from.",
                         "drop them (keep = [s for s in seqs if len(s)])"))
    T = max(lengths)
    F = feats[0][1] if feats else 1
    lo = min((L for L in lengths if L), default=0)
    kind = "an object array" if isinstance(data, np.ndarray) else "a list"
    d = Diagnosis(f"{kind[0].upper() + kind[1:]} of {n} sequences, lengths {lo}..{T}, "
                  f"{F} feature(s) per step.", None if problems else (n, T, F))
    d.problems.extend(problems)
    if not problems:
        if lo != T:
            d.notes.append("lengths differ: seqfeed.pad(seqs) pads them and builds the mask from "
                           "the lengths, so real all-zero steps stay real.")
        flat = [a.reshape(len(a), -1) for a in good if a.ndim in (1, 2)]
        if flat and any(a.dtype.kind == "f" for a in flat):
            # integer sequences cannot hold NaN, but they must not hide a float one
            offs = np.concatenate([[0], np.cumsum([len(a) for a in flat])])
            found = _first_nonfinite(np.concatenate(flat, axis=0, dtype=np.float64), offs)
            if found:
                d.problems.append(_nonfinite_problem(found, int(offs[-1])))
                d.lstm_shape = None
    return d


def _explain_set(s) -> Diagnosis:
    L = s.lengths
    n = len(s)
    if n == 0:
        return Diagnosis("An empty SequenceSet.", problems=[("no sequences.", None)])
    d = Diagnosis(f"A SequenceSet of {n} sequences, lengths {int(L.min())}..{int(L.max())} "
                  f"(median {float(np.median(L)):g}), {s.n_features} feature(s) per step.",
                  (n, int(L.max()), s.n_features))
    empty = np.flatnonzero(L == 0)
    if empty.size:
        d.problems.append((f"{empty.size} empty sequence(s), the first at index {int(empty[0])}.",
                           "drop them: s.take(s.lengths > 0)"))
    found = _first_nonfinite(np.asarray(s.values), np.asarray(s.offsets))
    if found:
        d.problems.append(_nonfinite_problem(found, s.n_steps))
    if d.problems:
        d.lstm_shape = None
    return d
