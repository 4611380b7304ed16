"""What observability costs: ``python -m bench.telemetry``.

Serves the sioapp benchmark app (``bench/servers/sioapp_server.py``) with each
``--instrument``: ``off``, ``metrics`` (Prometheus metrics served), ``tracing``
(the OpenTelemetry SDK's tracer provider, spans dropped by their exporter) and
``otel`` (tracing and the SDK's meter provider), and drives the ``echo`` and
``broadcast`` workloads of ``python -m bench`` against each, pinned as
``python -m bench`` pins, over several rounds in rotating order. It prints each
workload's medians and the server CPU time per operation each setup adds to
``off``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bench import report
from bench.cli import add_run_options, prepare
from bench.paths import RESULTS_DIR
from bench.runner import run_rounds
from bench.servers import ServerKind
from bench.servers.sioapp_server import INSTRUMENTS
from bench.workloads import WORKLOADS

#: The workloads priced: one event and its ack, one event delivered to many sockets.
PRICED = ("echo", "broadcast")

KINDS = [
    ServerKind(
        instrument,
        f"sioapp, --instrument {instrument}",
        (sys.executable, "-m", "bench.servers.sioapp_server", "--instrument", instrument),
    )
    for instrument in INSTRUMENTS
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.telemetry",
        description="What Prometheus metrics and OpenTelemetry tracing cost, per operation.",
    )
    add_run_options(parser, per="setup")
    return parser


def _costs(unit: str, summaries: list[report.Summary]) -> list[str]:
    """The CPU time each instrumentation adds to ``off``, per operation."""
    off = next(summary for summary in summaries if summary.server == "off")
    return [
        f"{summary.server}: {summary.cpu_us_per_op - off.cpu_us_per_op:+.1f} µs CPU/{unit} "
        f"({summary.cpu_us_per_op / off.cpu_us_per_op - 1:+.1%}) over off"
        for summary in summaries
        if summary is not off
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run echo and broadcast against each instrumentation; print and write the results."""
    options = _parser().parse_args(argv)
    workloads = [WORKLOADS[name] for name in PRICED]
    pinning = prepare(workloads, options)
    for workload in workloads:
        print(f"\n{workload.name}: {workload.description}", flush=True)
        measurements = asyncio.run(run_rounds(workload, KINDS, options, pinning))
        summaries = report.summarise(measurements)
        print(f"\n{workload.name}, medians of {options.rounds} rounds:")
        print(report.render(workload.unit, workload.units, summaries, []))
        print("\n".join(_costs(workload.unit, summaries)))
        path = RESULTS_DIR / f"telemetry-{workload.name}.json"
        report.write_json(
            path,
            workload=workload.name,
            unit=workload.unit,
            settings={**workload.settings(options), "rounds": options.rounds},
            env=report.environment(pinning),
            measurements=measurements,
            summaries=summaries,
            compared=[],
        )
        print(f"raw results: {path.relative_to(RESULTS_DIR.parent.parent)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
