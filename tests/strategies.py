"""Hypothesis strategies shared by the tests."""
import numpy as np
from hypothesis import strategies as st


@st.composite
def ragged(draw, *, max_n=8, max_len=12, min_len=0, features=None, dtype="float32", allow_1d=True):
    """A list of (T_i, F) arrays (or (T_i,) when F == 1 and allow_1d), some with all-zero steps."""
    n = draw(st.integers(1, max_n))
    F = features if features is not None else draw(st.integers(1, 4))
    one_d = allow_1d and F == 1 and draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        L = draw(st.integers(min_len, max_len))
        if np.dtype(dtype).kind == "f":
            a = rng.normal(size=(L, F)).astype(dtype)
        else:
            a = rng.integers(-50, 50, size=(L, F)).astype(dtype)
        if L and draw(st.booleans()):
            a[rng.integers(0, L)] = 0  # a real all-zero step
        out.append(a[:, 0] if one_d else a)
    return out


def as2d(a, F=None):
    a = np.asarray(a)
    if a.ndim == 1:
        return a.reshape(-1, 1) if F is None else a.reshape(a.shape[0], F if a.size == 0 else 1)
    return a


# --------------------------------------------------------------------------- fuzz harness
# Every fuzzed call goes through `fuzz_call`: a SeqfeedError or a result that `verify`
# accepts, never another exception, never a mutated input. The counts are printed at the
# end of the session (conftest.pytest_terminal_summary) for the long run's report.
import copy  # noqa: E402
import warnings  # noqa: E402


class FuzzStats:
    def __init__(self):
        self.examples = 0      # fuzzed calls made
        self.rejected = 0      # ... that raised a SeqfeedError
        self.verified = 0      # ... that returned a result the reference agreed with
        self.raw = 0           # ... that raised another exception (must stay 0)
        self.wrong = 0         # ... whose result the reference rejected (must stay 0)
        self.mutated = 0       # ... that changed an input (must stay 0)
        self.strict = 0        # ... rejected although the reference computed a result (reviewed)
        self.first_problems = []
        self.strict_examples = []

    def note(self, kind, call, exc):
        if len(self.first_problems) < 20:
            self.first_problems.append(f"{kind}: {getattr(call, '__name__', call)}: "
                                       f"{type(exc).__name__}: {str(exc)[:200]}")


FUZZ = FuzzStats()


def _snap(x):
    from seqfeed import SequenceSet

    if isinstance(x, SequenceSet):
        return ("set", np.array(x.values), np.array(x.offsets),
                None if x.targets is None else np.array(x.targets))
    if isinstance(x, np.ndarray):
        return np.array(x, copy=True)
    if not isinstance(x, (list, tuple, dict, str, bytes, int, float, type(None))):
        return None  # no value equality to compare with
    try:
        return copy.deepcopy(x)
    except Exception:  # noqa: BLE001 - uncopyable inputs are not compared
        return None


def same(a, b) -> bool:
    """Deep equality with NaN == NaN, shapes and dtypes included."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        if a.dtype == object:
            return all(same(u, v) for u, v in zip(a.ravel().tolist(), b.ravel().tolist()))
        return bool(np.array_equal(a, b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(u, v) for u, v in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return a is b


def fuzz_call(call, *, inputs=(), verify=None, expect_error=None, exact=True):
    """Run ``call()``; return ``(result, None)`` or ``(None, SeqfeedError)``.

    ``verify(result)`` asserts the result is right (against a reference). ``expect_error``:
    a reason string when the reference says the input is invalid, so a result would be
    silently wrong. ``exact=False``: ``verify`` only checks invariants (damaged bytes), so a
    SeqfeedError is not counted as stricter than the reference.
    """
    from seqfeed import SeqfeedError

    FUZZ.examples += 1
    before = [_snap(x) for x in inputs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except SeqfeedError as e:
        FUZZ.rejected += 1
        assert str(e).strip(), "a SeqfeedError without a message"
        if verify is not None and expect_error is None and exact:
            FUZZ.strict += 1
            if len(FUZZ.strict_examples) < 10:
                FUZZ.strict_examples.append(str(e)[:160])
        _check_unchanged(call, inputs, before)
        return None, e
    except Exception as e:  # noqa: BLE001
        FUZZ.raw += 1
        FUZZ.note("raw", call, e)
        raise AssertionError(f"not a SeqfeedError: {type(e).__name__}: {e}") from e
    _check_unchanged(call, inputs, before)
    try:
        if expect_error is not None:
            raise AssertionError(f"accepted an invalid input ({expect_error})")
        if verify is not None:
            verify(result)
    except AssertionError as e:
        FUZZ.wrong += 1
        FUZZ.note("wrong", call, e)
        raise
    FUZZ.verified += 1
    return result, None


def _check_unchanged(call, inputs, before):
    for x, b in zip(inputs, before):
        if b is None:
            continue
        if not same(_snap(x), b):
            FUZZ.mutated += 1
            FUZZ.note("mutated", call, AssertionError("input changed"))
            raise AssertionError("the call modified its input")


# --------------------------------------------------------------------------- messy values
GOOD_AND_BAD_INTS = st.one_of(st.integers(-3, 12), st.sampled_from(
    # huge values are far above any machine's memory (2**40 steps): they must fail fast, never
    # allocate (values of a few GiB would be valid and are not generated)
    [None, 2**62, 2**40, -2**63, 2.0, 2.5, float("nan"), "3", True, np.int64(3), np.uint8(2), [2]]))
SIDES = st.sampled_from(["pre", "post", "post", "pre", "mid", "PRE", None, 1, ""])
DTYPES = st.sampled_from(["float32", "float32", "float64", "int32", "int64", "float16", "uint8",
                          "bool", "complex64", "U3", object, "notadtype", None, np.float32])
VALUES = st.sampled_from([0.0, 0.0, 0, -1.0, 0.5, 7, float("nan"), float("inf"), -float("inf"),
                          1e20, 2**40, "x", None, True, [1.0], np.float32(2.0), 1e-45])


@st.composite
def messy_sequences(draw, *, max_n=6, max_len=8):
    """A list of sequences, mostly valid, sometimes with one flaw: NaN/inf, mixed dtypes,
    empty or 0-d elements, a different feature count, a 3-D element, strings, None, nested
    Python lists, huge values."""
    n = draw(st.integers(0, max_n))
    F = draw(st.integers(1, 3))
    one_d = F == 1 and draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(["float32", "float64", "int64", "int32", "bool", "uint8", "float16"]))
    out = []
    for _ in range(n):
        L = draw(st.integers(0, max_len))
        a = (rng.normal(size=(L, F)) * 10).astype(dtype)
        out.append(a[:, 0] if one_d else a)
    flaw = draw(st.sampled_from(["none"] * 6 + ["nan", "inf", "huge", "mixed_dtype", "zero_d", "feat",
                                                 "three_d", "str", "none_elem", "pylist", "empty_all",
                                                 "ragged_rows", "scalar_elem", "obj_array"]))
    if flaw != "none" and (n or flaw in ("empty_all",)):
        k = int(rng.integers(0, max(n, 1)))
        if flaw in ("nan", "inf", "huge") and n and out[k].size:
            a = out[k].astype("float64")
            a.flat[int(rng.integers(0, a.size))] = {"nan": np.nan, "inf": -np.inf, "huge": 1e39}[flaw]
            out[k] = a
        elif flaw == "mixed_dtype" and n:
            out[k] = out[k].astype("float64" if out[k].dtype.kind != "f" else "int64")
        elif flaw == "zero_d" and n:
            out[k] = np.array(1.5)
        elif flaw == "feat" and n:
            out[k] = rng.normal(size=(max(len(out[k]), 1), F + 1))
        elif flaw == "three_d" and n:
            out[k] = rng.normal(size=(2, F, 1))
        elif flaw == "str" and n:
            out[k] = np.array(["a"] * max(len(out[k]), 1))
        elif flaw == "none_elem" and n:
            out[k] = None
        elif flaw == "pylist" and n:
            out[k] = out[k].tolist()
        elif flaw == "empty_all":
            out = [np.zeros((0, F)) for _ in range(n)]
        elif flaw == "ragged_rows" and n:
            out[k] = [[1.0] * F, [1.0] * (F + 1)]
        elif flaw == "scalar_elem" and n:
            out[k] = 3.0
        elif flaw == "obj_array" and n:
            o = np.empty(n, dtype=object)
            o[:] = [np.asarray(x) if x is not None else None for x in out] if all(
                isinstance(x, np.ndarray) for x in out) else [None] * n
            return o
    return out


@st.composite
def messy_arrays(draw):
    """Dense arrays of 0..4 dimensions (some empty), numeric or not, with NaN/inf sometimes."""
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.integers(0, 4)) for _ in range(ndim))
    kind = draw(st.sampled_from(["f", "f", "f", "i", "b", "U", "O", "c"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.normal(size=shape)
    if kind == "i":
        a = (a * 10).astype(np.int64)
    elif kind == "b":
        a = a > 0
    elif kind == "U":
        a = a.astype(str)
    elif kind == "O":
        a = a.astype(object)
    elif kind == "c":
        a = a.astype(np.complex64)
    elif a.size and draw(st.booleans()):
        a.flat[int(rng.integers(0, a.size))] = draw(st.sampled_from([np.nan, np.inf, 1e39]))
    return a
