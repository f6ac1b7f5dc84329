"""Entry point of one worker process started by :func:`seqfeed.keras.run_local_workers`."""

import json
import sys


def main(argv) -> int:
    from .._errors import SeqfeedError
    from ._distribute import train_distributed

    opts = json.loads(argv[0])
    shards = opts.pop("shards")
    try:
        train_distributed(shards, **opts)
    except SeqfeedError as e:
        print(f"seqfeed worker {opts.get('task_index')}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover - run in a subprocess
    sys.exit(main(sys.argv[1:]))
