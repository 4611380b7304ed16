// Connects: `--concurrency` loops, each opening a WebSocket connection to the
// main namespace, waiting for the server's CONNECT, disconnecting and starting
// over, `--connects` times in all. Every connect is timed.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { connected, latencySummary, open, report, waitForGo } from "./lib/driver.mjs";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    connects: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "10" },
    warmup: { type: "string", default: "50" },
  },
});
const connects = Number(values.connects);
const concurrency = Number(values.concurrency);
const warmup = Number(values.warmup);

/** Run `count` connect-disconnect cycles over `concurrency` loops. */
async function cycles(count, latencies) {
  let next = 0;
  const errors = [];
  async function loop() {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      const socket = open(values.url);
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
