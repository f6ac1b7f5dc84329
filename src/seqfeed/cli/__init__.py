"""The ``seqfeed`` command line: inspect, doctor, train, evaluate, predict, demo.

Commands that do not train import neither TensorFlow nor matplotlib (unless a plot
is asked for), so they start fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from .._errors import SeqfeedError

__all__ = ["main", "build_parser"]

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seqfeed", description="Raw sequential data -> masked LSTM inputs -> trained, evaluated models.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("inspect", help="sequences, lengths, data problems and the padding report")
    s.add_argument("data", help="CSV, Parquet, .npz, .ts file or a bundled dataset name")
    _data_options(s)
    s.add_argument("--batch-size", type=int, default=32, help="batch size for the padding report")
    s.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    s.add_argument("--plot", metavar="FILE.png", help="draw the length histogram with batch boundaries")

    s = sub.add_parser("doctor", help="what an array/file is as an LSTM input, and what to do")
    s.add_argument("data", help=".npy/.npz/.csv/.parquet/.ts file or a bundled dataset name")
    s.add_argument("--layout", choices=["time_features", "batch_time"], help="how to read a 2-D array")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("train", help="train, evaluate and save a masked LSTM")
    s.add_argument("data", help="training data (file or bundled dataset name)")
    s.add_argument("--task", required=True, choices=["classify", "regress", "tag", "forecast"])
    _data_options(s)
    s.add_argument("--test", default=None, help="held-out test data (default: the dataset's own test "
                                                "split, else --test-fraction of the entities)")
    s.add_argument("--test-fraction", type=float, default=0.2, help="test share when no --test (default 0.2)")
    s.add_argument("--val-fraction", type=float, default=0.2, help="validation share of the training data")
    s.add_argument("--out", required=True, help="output directory (written atomically)")
    m = s.add_argument_group("model")
    m.add_argument("--units", type=int, default=64)
    m.add_argument("--layers", type=int, default=1)
    m.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                   help="bidirectional recurrent layers (default: only for long sequences)")
    m.add_argument("--pooling", choices=["auto", "last", "mean", "max", "mean+max"], default="auto",
                   help="sequence summary: state at the last real step, or mean/max over real steps "
                        "(default auto: last for short sequences, mean+max for long ones)")
    m.add_argument("--crop", type=float, default=None,
                   help="random-crop augmentation: keep at least this fraction of each sequence per epoch "
                        "(default: off)")
    m.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    m.add_argument("--dropout", type=float, default=None,
                   help="input dropout of the recurrent layers (default 0.1; 0 for long sequences, whose "
                        "restructured steps hold raw readings that dropout would turn into fake spikes)")
    m.add_argument("--frame", default="auto", help="restructuring of long sequences: auto, none, "
                                                   "frame:K, pool:K, conv:K (default auto)")
    m.add_argument("--normalize", default="auto", choices=["auto", "global", "per_sequence", "none"],
                   help="feature scaling, fitted on the training split only (default auto)")
    m.add_argument("--log-transform", choices=["auto", "yes", "no"], default="auto",
                   help="sign(x)*log1p(|x|) before scaling (auto: when values span orders of magnitude)")
    t = s.add_argument_group("training")
    t.add_argument("--epochs", type=int, default=None,
                   help="training epochs (default: 60, more for small data sets so that training takes at "
                        "least ~600 optimiser steps, at most 150)")
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
    t.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    t.add_argument("--force", action="store_true",
                   help="replace an existing seqfeed output at --out once the new one is complete (other "
                        "directories and files are never replaced), or discard an interrupted run's checkpoints")
    t.add_argument("--time-budget", type=float, default=None,
                   help="seconds for the automatic restructuring search (default: scaled to the data)")
    f = s.add_argument_group("forecasting")
    f.add_argument("--window", type=int, default=None, help="input steps per window")
    f.add_argument("--horizon", type=int, default=1, help="steps to forecast")
    f.add_argument("--test-size", type=int, default=None, help="final steps held out for testing")
    s.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("evaluate", help="metrics of a trained model on new data")
    s.add_argument("model_dir")
    s.add_argument("data")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("predict", help="predictions of a trained model, one row per id")
    s.add_argument("model_dir")
    s.add_argument("data")
    s.add_argument("-o", "--output", required=True, help="FILE.csv or FILE.parquet")

    s = sub.add_parser("demo", help="train and evaluate on the bundled JapaneseVowels and sunspots")
    s.add_argument("--out", default="runs/demo", help="where to write the two models (default runs/demo)")
    s.add_argument("--quiet", action="store_true")
    from ._pack import add_pack_parser

    add_pack_parser(sub)
    return p


def _quiet_tensorflow() -> None:
    """The CLI prints its own progress; TensorFlow's Python-side warnings are noise here."""
    from ..keras._lazy import tf

    tf.get_logger().setLevel("ERROR")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        if args.command == "inspect":
            from ._inspect import run_inspect
            return run_inspect(args)
        if args.command == "doctor":
            from ._inspect import run_doctor
            return run_doctor(args)
        if args.command == "pack":
            from ._pack import run_pack
            return run_pack(args)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        _quiet_tensorflow()
        if args.command == "train":
            from ._train import run_train
            return run_train(args)
        if args.command == "evaluate":
            from ._train import run_evaluate
            return run_evaluate(args)
        if args.command == "predict":
            from ._train import run_predict
            return run_predict(args)
        if args.command == "demo":
            from ._demo import run_demo
            return run_demo(args)
    except SeqfeedError as e:
        if args.debug:
            raise
        msg = str(e)
        head, _, fix = msg.partition(" Fix: ")
        print(f"seqfeed {args.command}: error: {head}", file=sys.stderr)
        if fix:
            print(f"  hint: {fix}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
        if args.debug:
            raise
        print(f"seqfeed {args.command}: error: {e.strerror}: {e.filename}", file=sys.stderr)
        print("  hint: check the path (bundled datasets: japanese_vowels, sunspots)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nseqfeed {args.command}: interrupted; nothing half-written was left in place"
              + (" (resume with --resume)" if args.command == "train" else ""), file=sys.stderr)
        return 130
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
