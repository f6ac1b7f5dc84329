"""The ``seqfeed`` command line: inspect, doctor, train, evaluate, predict, demo.

Commands that do not train import neither TensorFlow nor matplotlib (unless a plot
is asked for), so they start fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import warnings

from .._errors import SeqfeedError

__all__ = ["main", "build_parser", "cli_words", "flag_for", "hint_for", "FLAGS"]

EXAMPLES = """\
examples:
  seqfeed demo
  seqfeed inspect japanese_vowels
  seqfeed inspect readings.csv --id sensor --time ts --target label --plot lengths.png
  seqfeed train readings.csv --task classify --id sensor --time ts --target label --out runs/m1
  seqfeed evaluate runs/m1 new_readings.csv
  seqfeed predict runs/m1 new_readings.csv -o predictions.csv
  seqfeed doctor batch.npy
"""


def _data_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("table columns (long format: one row per time step)")
    g.add_argument("--id", dest="id_col", default=None, help="entity id column (default: 'id')")
    g.add_argument("--time", dest="time_col", default=None, help="time column (default: 'time')")
    g.add_argument("--target", dest="target_col", default=None, help="target column")
    g.add_argument("--features", default=None,
                   help="comma-separated feature columns (default: every other numeric column)")
    g.add_argument("--nan", default="error", choices=["error", "drop", "ffill", "zero"],
                   help="what to do with NaN/inf feature values (default: error)")
    g.add_argument("--duplicates", default="error", choices=["error", "first", "last", "mean"],
                   help="rows of one id with the same time: error (default), keep the first/last, or average")
    g.add_argument("--drop-missing-targets", action="store_true",
                   help="drop the ids whose target is missing (null, NaN or empty) instead of stopping")


def _model_data_options(p: argparse.ArgumentParser, *, target: bool) -> None:
    g = p.add_argument_group("table columns (default: the names used in training)")
    g.add_argument("--id", dest="id_col", default=None, help="entity id column of the new data")
    g.add_argument("--time", dest="time_col", default=None, help="time column of the new data")
    if target:
        g.add_argument("--target", dest="target_col", default=None, help="target column of the new data")
    g.add_argument("--nan", default=None, choices=["error", "drop", "ffill", "zero"],
                   help="what to do with NaN/inf feature values (default: as in training)")
    g.add_argument("--duplicates", default=None, choices=["error", "first", "last", "mean"],
                   help="rows of one id with the same time (default: as in training)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="seqfeed", description="Raw sequential data -> masked LSTM inputs -> trained, evaluated models.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add_inspect_parsers(sub)
    _add_train_parser(sub)
    _add_model_parsers(sub)
    from ._pack import add_pack_parser

    add_pack_parser(sub)
    return p


def _add_inspect_parsers(sub) -> None:
    s = sub.add_parser("inspect", help="sequences, lengths, data problems and the padding report")
    s.add_argument("data", help="CSV, Parquet, .npz, .ts file or a bundled dataset name")
    _data_options(s)
    s.add_argument("--batch-size", type=int, default=32, help="batch size for the padding report")
    s.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    s.add_argument("--plot", metavar="FILE.png", help="draw the length histogram with batch boundaries")

    s = sub.add_parser("doctor", help="what an array/file is as an LSTM input, and what to do")
    s.add_argument("data", help=".npy/.npz/.csv/.parquet/.ts file or a bundled dataset name")
    s.add_argument("--layout", choices=["time_features", "batch_time"], help="how to read a 2-D array")
    _data_options(s)
    s.add_argument("--json", action="store_true")


def _add_train_parser(sub) -> None:
    s = sub.add_parser("train", help="train, evaluate and save a masked LSTM")
    s.add_argument("data", help="training data (file or bundled dataset name)")
    s.add_argument("--task", required=True, choices=["classify", "regress", "tag", "forecast"])
    _data_options(s)
    s.add_argument("--test", default=None, help="held-out test data (default: the dataset's own test "
                                                "split, else --test-fraction of the entities)")
    s.add_argument("--test-fraction", type=float, default=0.2, help="test share when no --test (default 0.2)")
    s.add_argument("--val-fraction", type=float, default=0.2, help="validation share of the training data")
    s.add_argument("--out", required=True, help="output directory (written atomically)")
    _train_model_options(s.add_argument_group("model"))
    _train_training_options(s.add_argument_group("training"))
    f = s.add_argument_group("forecasting")
    f.add_argument("--window", type=int, default=None, help="input steps per window")
    f.add_argument("--horizon", type=int, default=1, help="steps to forecast")
    f.add_argument("--test-size", type=int, default=None, help="final steps held out for testing")
    f.add_argument("--forecast-change", choices=["auto", "yes", "no"], default="auto",
                   help="forecast the change from the last observed value, with inputs relative to it "
                        "(auto: scored against absolute levels on the validation period)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")


def _train_model_options(m) -> None:
    m.add_argument("--units", type=int, default=64)
    m.add_argument("--layers", type=int, default=1)
    m.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                   help="bidirectional recurrent layers (default: for classification, regression and tagging of "
                        "long sequences, median above 200 steps, and for classification and regression of fewer than "
                        "1,000 short ones, median below 100; never for forecasting)")
    m.add_argument("--pooling", choices=["auto", "last", "mean", "max", "mean+max"], default="auto",
                   help="sequence summary: state at the last real step, or mean/max over real steps "
                        "(default auto: last for short sequences, mean+max for long ones)")
    m.add_argument("--crop", type=float, default=None,
                   help="random-crop augmentation: keep at least this fraction of each sequence per epoch; "
                        "1 turns it off (default: 0.8 for classify on fewer than 1,000 "
                        "sequences of a median length of 100 steps or more, else off)")
    m.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    m.add_argument("--dropout", type=float, default=None,
                   help="input dropout of the recurrent layers (default 0.1; 0 for long sequences, whose "
                        "restructured steps hold raw readings that dropout would turn into fake spikes)")
    m.add_argument("--frame", default="auto", help="restructuring of long sequences: auto, none, "
                                                   "frame:K, pool:K, conv:K, msconv:K (default auto)")
    m.add_argument("--normalize", default="auto", choices=["auto", "global", "per_sequence", "none"],
                   help="feature scaling, fitted on the training split only (default auto: global, and for "
                        "single-feature sequences also per_sequence, the better on validation)")
    m.add_argument("--log-transform", choices=["auto", "yes", "no"], default="auto",
                   help="sign(x)*log1p(|x|) before scaling (auto: when values span orders of magnitude)")


def _train_training_options(t) -> None:
    t.add_argument("--epochs", type=int, default=None,
                   help="training epochs (default: 60, more for small data sets so that training takes at "
                        "least ~1,000 optimiser steps, at most 150; a small-data classifier trained on crops whose "
                        "training accuracy is still below 0.95 when weight averaging would start trains up to "
                        "twice as many)")
    t.add_argument("--batch", type=int, default=None,
                   help="batch size in sequences (default: 16 below 1,000 training sequences, else 32)")
    t.add_argument("--refit", choices=["auto", "yes", "no"], default="auto",
                   help="train the final model on training + validation data for a fixed number of epochs, "
                        "with the weights averaged over the last third, instead of stopping early on the "
                        "validation split (auto: below 1,000 training sequences, where a validation split "
                        "is too small to pick an epoch from; not for forecasting)")
    t.add_argument("--batching", choices=["bucket", "adaptive", "token_budget", "fixed"], default="bucket",
                   help="how sequences are grouped into batches (default bucket: length buckets)")
    t.add_argument("--max-tokens", type=int, default=None, help="padded steps per batch (token_budget)")
    t.add_argument("--lr", type=float, default=3e-3, help="learning rate")
    t.add_argument("--patience", type=int, default=10, help="early-stopping patience (epochs)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--workers", type=int, default=1, help="shards only: train on N workers (MultiWorkerMirroredStrategy; TF_CONFIG per host, else N local processes)")
    t.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    t.add_argument("--force", action="store_true",
                   help="replace an existing seqfeed output at --out once the new one is complete (other "
                        "directories and files are never replaced), or discard an interrupted run's checkpoints")
    t.add_argument("--time-budget", type=float, default=None,
                   help="seconds for the run from the split on: the restructuring search gets 40%%, the final fit "
                        "as many epochs as the rest allows, estimated from the search (default: no limit; the "
                        "search then gets a budget scaled to the data)")
    t.add_argument("--ensemble", type=int, default=None,
                   help="train N models from seeds SEED, SEED+1000, ... and average their outputs (default auto: "
                        "3 for classification and regression of fewer than 1,000 sequences with a median length "
                        "below 100, refitted, when --epochs is not given, as many as end by 85%% of the run's time; "
                        "else 1; with --time-budget, also a forced N keeps only the members that end within it; "
                        "the model card lists the members)")

def _add_model_parsers(sub) -> None:
    s = sub.add_parser("evaluate", help="metrics of a trained model on new data")
    s.add_argument("model_dir")
    s.add_argument("data", help="labelled data with the columns listed in the model's README.md")
    _model_data_options(s, target=True)
    s.add_argument("--drop-missing-targets", action="store_true",
                   help="drop the ids whose target is missing instead of stopping")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("predict", help="predictions of a trained model, one row per id")
    s.add_argument("model_dir")
    s.add_argument("data", help="id, time and feature columns (matched by name; a target column is ignored)")
    _model_data_options(s, target=False)
    s.add_argument("-o", "--output", required=True, help="FILE.csv or FILE.parquet")

    s = sub.add_parser("demo", help="train and evaluate on the bundled JapaneseVowels and sunspots")
    s.add_argument("--out", default="runs/demo", help="where to write the two models (default runs/demo)")
    s.add_argument("--quiet", action="store_true")


TF_COMMANDS = ("train", "evaluate", "predict", "demo")
# The one mapping from the library's parameter names (a SeqfeedError's `argument`) to this CLI's flags and
# positional arguments; the hints and the rewording of Python keyword arguments both use it.
FLAGS = {"id": "--id", "time": "--time", "target": "--target", "features": "--features", "nan": "--nan",
         "duplicates": "--duplicates", "level": "--task", "task": "--task", "source": "DATA", "data": "DATA",
         "path": "MODEL_DIR", "memory": "--memory", "engine": "--engine"}
# the options of seqfeed.keras.train: the flag is the name with dashes
FLAGS.update({name: "--" + name.replace("_", "-") for name in (
    "out", "test", "force", "resume", "epochs", "units", "layers", "batch", "patience", "max_tokens", "window",
    "horizon", "test_size", "seed", "workers", "val_fraction", "test_fraction", "lr", "dropout", "crop",
    "time_budget", "frame", "refit", "normalize", "log_transform", "pooling", "cell", "batching",
    "bidirectional", "drop_missing_targets", "forecast_change", "ensemble")})
_OPTIONS = "|".join(k for k, flag in FLAGS.items() if flag.startswith("--") and k != "level")


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error format: one line, one hint, exit 2 (no usage block)."""

    def error(self, message):
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        print(f"  hint: see '{self.prog} --help'", file=sys.stderr)
        sys.exit(2)


def _quiet_tensorflow_python_logs() -> None:
    """TensorFlow's Python-side logger, set before TensorFlow is imported (no import here)."""
    import logging

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


@contextlib.contextmanager
def _native_stderr_silenced(enabled: bool):
    """Send file descriptor 2 (TensorFlow's C++ and absl log lines) to /dev/null.

    ``sys.stderr`` is pointed at a duplicate of the real stderr first, so everything
    seqfeed (and Python) prints still arrives. Does nothing when ``sys.stderr`` is not
    the process's fd 2 (e.g. captured by a test harness).
    """
    try:
        real = enabled and sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        real = False
    if not real:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    old_stderr = sys.stderr
    try:
        os.dup2(devnull, 2)
        sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding=old_stderr.encoding,
                               errors="backslashreplace")
        yield
    finally:
        try:
            # flushed, not closed: a logging handler created meanwhile (TensorFlow's) may still hold it
            sys.stderr.flush()
        except (OSError, ValueError):  # pragma: no cover
            pass
        sys.stderr = old_stderr
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_KWARG = re.compile(rf"\b({_OPTIONS})=(\[[^\]]*\]|'[^']*'|\"[^\"]*\"|[\w.+-]+)?")


def _flag_value(text: str) -> str:
    text = text.strip()
    if text.startswith("["):
        return ",".join(v.strip().strip("'\"") for v in text[1:-1].split(",") if v.strip()) or "''"
    return text.strip("'\"") or "''"


def _kwarg_as_flag(m) -> str:
    flag, value = FLAGS[m.group(1)], m.group(2)
    if value == "True":  # an on/off flag
        return flag
    if value == "False":
        return "--no-" + flag[2:]
    return flag + (" " + _flag_value(value) if value else "")


def cli_words(text: str) -> str:
    """Python keyword arguments in a message (``target=``, ``nan='drop'``) as CLI flags."""
    text = re.sub(r"Received:? (nan|duplicates|level)='[^']*'\.", "", text)  # the defaults, not user input
    text = text.replace("pass level='step'", "use --task tag").replace("level='step'", "--task tag")
    text = re.sub(r",? or pass time=None[^.;]*", "", text)  # the CLI always has a time column
    text = text.replace("pass features=None", "leave out --features").replace("features=None", "no --features")
    text = _KWARG.sub(_kwarg_as_flag, text)
    text = re.sub(r"\(option `(\w+)`\)", lambda m: f"({FLAGS.get(m.group(1), m.group(1))})", text)
    text = re.sub(rf"`({_OPTIONS})`", lambda m: FLAGS[m.group(1)], text)
    text = re.sub(r"`(--[\w-]+)`", r"\1", text)
    return re.sub(r"  +", " ", text).strip()


def flag_for(argument: str | None) -> str | None:
    """The CLI's name (``--nan``, ``DATA``) for a library parameter name, per :data:`FLAGS`.

    An ``argument`` that already is a CLI name (``--out``, ``MODEL_DIR``: raised by the CLI's own
    checks) is returned as it is; a parameter the CLI does not expose gives None.
    """
    if not argument:
        return None
    if argument.startswith("-") or argument.isupper():
        return argument
    return FLAGS.get(argument)


def hint_for(e: SeqfeedError, command: str | None = None) -> str:
    """The hint line for error ``e``: its ``fix`` in CLI words, naming the flag of its ``argument``."""
    hint = cli_words(" ".join(e.fix.split()))
    flag = flag_for(e.argument)
    if flag and flag.startswith("--") and flag not in hint:
        hint = f"{hint} (check {flag}" + (f"; see 'seqfeed {command} --help')" if command else ")")
    return hint


def _print_error(command: str, head: str, hint: str | None) -> None:
    head = re.sub(r"^seqfeed(\.keras\.train| \w+)?: ", "", " ".join(head.split()))
    if not hint:
        hint = f"see 'seqfeed {command} --help'"
    print(f"seqfeed {command}: error: {cli_words(head)}", file=sys.stderr)
    if hint and command in ("evaluate", "predict") and "--features" in cli_words(hint):
        # these commands read the features the model was trained on; there is no --features to pass
        hint = "the feature columns the model was trained on must hold numbers (see its README.md)"
    if hint:
        print(f"  hint: {cli_words(' '.join(hint.split()))}", file=sys.stderr)


def _warning_printer(command: str, debug: bool):
    """seqfeed's warnings as one line each, worded with CLI flags; other libraries' only with --debug."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        from .._errors import SeqfeedWarning

        if issubclass(category, SeqfeedWarning):
            print(f"seqfeed {command}: warning: {cli_words(' '.join(str(message).split()))}", file=sys.stderr)
        elif debug:
            original(message, category, filename, lineno, file, line)

    return show


# command -> (module, function, needs TensorFlow); modules are imported only for the command that runs
_COMMANDS = {
    "inspect": ("._inspect", "run_inspect", False),
    "doctor": ("._inspect", "run_doctor", False),
    "pack": ("._pack", "run_pack", False),
    "train": ("._train", "run_train", True),
    "evaluate": ("._train", "run_evaluate", True),
    "predict": ("._train", "run_predict", True),
    "demo": ("._demo", "run_demo", True),
}


def _run(args) -> int:
    import importlib

    module, function, uses_tensorflow = _COMMANDS[args.command]
    if uses_tensorflow:
        _quiet_tensorflow_python_logs()
    return getattr(importlib.import_module(module, __name__), function)(args)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    with _native_stderr_silenced(args.command in TF_COMMANDS and not args.debug), \
            warnings.catch_warnings():
        warnings.showwarning = _warning_printer(args.command, args.debug)
        try:
            return _run(args)
        except SeqfeedError as e:
            if args.debug:
                raise
            _print_error(args.command, e.message, hint_for(e, args.command))
            return 2
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as e:
            if args.debug:
                raise
            _print_error(args.command, f"{e.strerror or e}: {e.filename}" if e.filename else str(e),
                         "check the path (bundled datasets: japanese_vowels, sunspots)")
            return 2
        except MemoryError as e:  # the up-front estimate missed (e.g. another process took the memory)
            if args.debug:
                raise
            _print_error(args.command, f"out of memory: {' '.join(str(e).split())[:200] or 'an allocation failed'}",
                         "free memory, use a machine with more, or read fewer columns with --features")
            return 2
        except KeyboardInterrupt:
            print(f"\nseqfeed {args.command}: interrupted; nothing half-written was left in place"
                  + (" (resume with --resume)" if args.command == "train" else ""), file=sys.stderr)
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
