"""What a soak run means: the RSS slope, the checks it must pass, the printed report, JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.soak.runner import Sample, SoakRun

#: What the driver counts that must be zero in a good run. Every message is acked, times out
#: or gets a bad ack, and every expected delivery not received is lost, so these cover all.
MUST_BE_ZERO = (
    "lost",
    "duplicated",
    "unexpected",
    "ack_timeouts",
    "bad_acks",
    "disconnects",
)


def rss_slope(samples: list[Sample], warmup: float) -> float | None:
    """Least-squares slope of the server's RSS over the samples after ``warmup`` seconds, in
    KiB per minute; None with fewer than two such samples."""
    points = [(s.t, float(s.rss_kb)) for s in samples if s.t >= warmup]
    if len(points) < 2:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_rss = sum(rss for _, rss in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    covariance = sum((t - mean_t) * (rss - mean_rss) for t, rss in points)
    return covariance / spread * 60


def failures(run: SoakRun, max_rss_slope: float | None = None) -> list[str]:
    """Why the run failed, one sentence each; empty when it passed.

    ``max_rss_slope`` (KiB per minute) bounds the RSS slope; None leaves it unchecked.
    """
    result = run.driver
    found = [f"{name}: {result[name]}" for name in MUST_BE_ZERO if result[name] != 0]
    found.extend(
        f"{name} grew by {by} after every client disconnected ({getattr(run.before, name)} "
        f"before, {getattr(run.after, name)} after)"
        for name, by in run.after.grown_since(run.before).items()
    )
    slope = rss_slope(run.samples, run.settings.warmup)
    if max_rss_slope is not None:
        if slope is None:
            found.append("too few memory samples after the warm-up for an RSS slope")
        elif slope > max_rss_slope:
            found.append(f"RSS grows {slope:,.0f} KiB/min (at most {max_rss_slope:,.0f})")
    return found


def _ms(latency: dict[str, float] | None, key: str) -> str:
    return "-" if latency is None else f"{latency[key]:.1f} ms"


def _share(seconds: float | None, wall: float) -> str:
    return "-" if seconds is None else f"{seconds / wall:.0%}"


def render(run: SoakRun, max_rss_slope: float | None = None) -> str:
    """The report printed at the end of a run."""
    s, r = run.settings, run.driver
    slope = rss_slope(run.samples, s.warmup)
    after_warmup = [sample for sample in run.samples if sample.t >= s.warmup] or run.samples
    rss_values = [sample.rss_kb for sample in run.samples]
    deliveries = max(r["received"], 1)
    lines = [
        f"{s.clients} clients in {s.rooms} rooms, {s.rate:g} messages/s each, "
        f"{r['seconds']:.0f} s of chat + {r['drain_seconds']:.1f} s of drain",
        f"messages    sent {r['sent']:,}, acked {r['acked']:,} (timeouts {r['ack_timeouts']}, "
        f"bad acks {r['bad_acks']})",
        f"deliveries  expected {r['expected']:,}, received {r['received']:,}: "
        f"lost {r['lost']}, duplicated {r['duplicated']}, unexpected {r['unexpected']}",
        f"latency     p50 {_ms(r['latency_ms'], 'p50')}, p99 {_ms(r['latency_ms'], 'p99')}, "
        f"max {_ms(r['latency_ms'], 'max')}",
        f"disconnects during the chat: {r['disconnects']}",
        f"server CPU  {run.server_cpu_s:.1f} s in {run.wall_s:.1f} s "
        f"({run.server_cpu_s / run.wall_s:.0%} of a core), "
        f"{run.server_cpu_s * 1e6 / deliveries:.1f} µs per delivery; driver "
        f"{run.driver_cpu_s / run.wall_s:.0%} busy, others {_share(run.others_cpu_s, run.wall_s)} "
        "busy on the server's CPU",
        f"server RSS  {run.rss_before_kb / 1024:.1f} MiB before the clients, "
        f"{after_warmup[0].rss_kb / 1024:.1f} MiB after the {s.warmup:g} s warm-up, "
        f"{run.samples[-1].rss_kb / 1024:.1f} MiB at the end "
        f"(min {min(rss_values) / 1024:.1f}, max {max(rss_values) / 1024:.1f}), "
        f"{run.rss_after_kb / 1024:.1f} MiB after the clients left",
        "RSS slope   "
        + ("-" if slope is None else f"{slope:+,.0f} KiB/min")
        + f" after the warm-up ({len(after_warmup)} samples, every {s.sample_every:g} s)",
        f"server      {'before':>8} {'peak':>8} {'after':>8}   (after: {run.settle_s:.1f} s "
        "after the last client left)",
    ]
    for name in ("tasks", "sockets", "engine_sockets", "rooms", "os_sockets"):
        peak = max(getattr(sample.state, name) for sample in run.samples)
        before, after = getattr(run.before, name), getattr(run.after, name)
        lines.append(f"  {name:<14} {before:>4} {peak:>8} {after:>8}")
    found = failures(run, max_rss_slope)
    lines.append("PASS" if not found else "FAIL: " + "; ".join(found))
    return "\n".join(lines)


def write_json(
    path: Path, run: SoakRun, environment: dict[str, Any], max_rss_slope: float | None
) -> None:
    """The run, its figures and its verdict as JSON."""
    document = {
        "settings": asdict(run.settings),
        "environment": environment,
        "driver": run.driver,
        "wall_s": run.wall_s,
        "server_cpu_s": run.server_cpu_s,
        "driver_cpu_s": run.driver_cpu_s,
        "others_cpu_s": run.others_cpu_s,
        "rss_before_kb": run.rss_before_kb,
        "rss_after_kb": run.rss_after_kb,
        "rss_slope_kib_per_min": rss_slope(run.samples, run.settings.warmup),
        "before": asdict(run.before),
        "after": asdict(run.after),
        "settle_s": run.settle_s,
        "samples": [asdict(sample) for sample in run.samples],
        "failures": failures(run, max_rss_slope),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n")
