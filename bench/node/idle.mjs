// Idle connections: `--connections` WebSocket connections join the main
// namespace and stay open, doing nothing, until the runner has read the
// server's memory. `--warmup` connections opened before stay open too.
import { setTimeout as sleep } from "node:timers/promises";
import {
  connectAll,
  disconnectAll,
  latencySummary,
  report,
  settings,
  waitForEnd,
  waitForGo,
} from "./lib/driver.mjs";

const { url, connections, warmup, settle: settleMs } = settings({
  connections: 2000,
  warmup: 20,
  settle: 1000,
});

const early = await connectAll(url, warmup);
await sleep(settleMs);
report({ ready: true, connections: early.length });
await waitForGo();

const latencies = new Float64Array(connections);
const started = performance.now();
const sockets = await connectAll(url, connections, latencies);
const seconds = (performance.now() - started) / 1000;
// Let the server finish what connecting started before its memory is read.
await sleep(settleMs);
const lost = sockets.filter((s) => !s.connected).length;

report({
  operations: connections,
  seconds,
  errors: lost,
  first_error: lost > 0 ? "a connection closed while idle" : null,
  latency_ms: latencySummary(latencies),
});
await waitForEnd();
disconnectAll([...early, ...sockets]);
