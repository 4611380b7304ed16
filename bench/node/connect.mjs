// Connects: `--concurrency` loops, each opening a WebSocket connection to the
// main namespace, waiting for the server's CONNECT, disconnecting and starting
// over, `--connects` times in all. Every connect is timed.
import { setTimeout as sleep } from "node:timers/promises";
import { connected, latencySummary, open, report, settings, waitForGo } from "./lib/driver.mjs";

const { url, connects, concurrency, warmup } = settings({
  connects: 1000,
  concurrency: 10,
  warmup: 50,
});

/** Run `count` connect-disconnect cycles over `concurrency` loops. */
async function cycles(count, latencies) {
  let next = 0;
  const errors = [];
  async function loop() {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      const socket = open(url);
      try {
        await connected(socket);
        latencies[i] = performance.now() - started;
      } catch (error) {
        errors.push(String(error));
      }
      socket.disconnect();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  return errors;
}

const warmupErrors = await cycles(warmup, new Float64Array(warmup));
report({ ready: true, warmup_errors: warmupErrors.length });
await waitForGo();

const latencies = new Float64Array(connects);
const started = performance.now();
const errors = await cycles(connects, latencies);
const seconds = (performance.now() - started) / 1000;
// The last disconnects are still on their way: let the server handle them too.
await sleep(250);

report({
  operations: connects,
  seconds,
  errors: errors.length,
  first_error: errors[0] ?? null,
  latency_ms: latencySummary(latencies),
});
