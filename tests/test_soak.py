"""A short soak: 200 clients chat in 20 rooms for 15 s through a real server process, which
pings each of them every 2 s so that heartbeats run during the chat too.

``python -m bench.soak`` runs the same machinery with 1,000 clients for 5 minutes.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.npm import ensure_node_modules
from bench.procstat import Pinning
from bench.soak.report import failures, rss_slope
from bench.soak.runner import Sample, Settings, soak
from bench.soak.state import ServerState

SETTINGS = Settings(
    clients=200,
    rooms=20,
    rate=1.0,
    duration=15.0,
    warmup=5.0,
    sample_every=0.5,
    drain=3.0,
    settle=10.0,
    ping_interval=2.0,
)
#: KiB per minute. Runs here measure under 0.1 MiB/min; a server keeping every message it
#: handles (its model, about 1.2 KiB) grows 14 MiB/min at this rate.
MAX_RSS_SLOPE = 4 * 1024

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("recovery_log", [0, 500], ids=["plain", "with recovery"])
async def test_every_message_arrives_once_and_the_server_lets_go_of_everything(
    recovery_log: int,
) -> None:
    """With connection state recovery every message is logged too: the log is bounded
    (here to what 2.5 s of chat say, within the warm-up), so the memory stays flat."""
    ensure_node_modules()
    run = await soak(replace(SETTINGS, recovery_log=recovery_log), Pinning.plan())
    result = run.driver
    messages = 200 * 15
    assert (result["sent"], result["acked"]) == (messages, messages)
    assert result["expected"] == messages * 9  # each room has 10 members
    assert (result["received"], result["lost"], result["duplicated"]) == (messages * 9, 0, 0)
    assert (result["unexpected"], result["ack_timeouts"], result["disconnects"]) == (0, 0, 0)
    peak = max(sample.state.sockets for sample in run.samples)
    assert (run.before.sockets, peak, run.after.sockets) == (0, 200, 0)
    assert max(sample.state.tasks for sample in run.samples) > run.before.tasks + 200
    assert run.after.grown_since(run.before) == {}, (run.before, run.after)
    slope = rss_slope(run.samples, SETTINGS.warmup)
    assert slope is not None and slope < MAX_RSS_SLOPE, slope
    assert failures(run, MAX_RSS_SLOPE) == []


def test_the_rss_slope_fits_the_samples_after_the_warmup_only() -> None:
    state = ServerState(tasks=0, sockets=0, engine_sockets=0, rooms=0, os_sockets=0)
    warming = [Sample(t, 1000 + 500 * t, state) for t in (0.0, 1.0, 2.0)]
    # 1 KiB/s, with a jitter that is symmetric about the middle of the samples
    jitter = {3.0: 8, 4.0: -8, 5.0: -8, 6.0: 8}
    steady = [Sample(t, 4000 + t + jitter[t], state) for t in jitter]
    assert rss_slope(warming + steady, warmup=3.0) == pytest.approx(60.0)
    assert rss_slope(warming + steady[:1], warmup=3.0) is None
