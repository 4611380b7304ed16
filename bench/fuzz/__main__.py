"""``python -m bench.fuzz``: a fuzz campaign against a live sioapp server."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.fuzz.campaign import run


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz",
        description="Send random and mutated Engine.IO / Socket.IO sessions to a live sioapp "
        "server while a well-behaved client stays connected; exit 1 if anything went wrong.",
    )
    parser.add_argument("--examples", type=int, default=5000, help="sessions to send")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    parser.add_argument(
        "--keep", type=Path, help="keep the server's records and stderr in this directory"
    )
    options = parser.parse_args()
    if options.keep is not None:
        options.keep.mkdir(parents=True, exist_ok=True)
        report = run(options.examples, options.seed, options.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="sioapp-fuzz-") as scratch:
            report = run(options.examples, options.seed, Path(scratch))
    print(report.summary())
    if not report.ok:
        print("last sessions sent:", json.dumps(report.recent, indent=1))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
