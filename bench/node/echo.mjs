// Echo with ack: every connection sends `--acks` echo events one after the
// other, each as soon as the previous ack came back, and times every ack.
import {
  connectAll,
  countTraffic,
  disconnectAll,
  latencySummary,
  report,
  settings,
  traffic,
  waitForEnd,
  waitForGo,
} from "./lib/driver.mjs";

const { url, connections, acks, warmup } = settings({
  connections: 50,
  acks: 400,
  warmup: 20,
});

const TEXT = "hello from the benchmark";
const TAGS = ["alpha", "beta", "gamma"];

/** Send `count` echoes in sequence; latencies go to `into` when given. Returns bad replies. */
async function echoes(socket, count, into) {
  const bad = [];
  for (let seq = 0; seq < count; seq++) {
    const sent = performance.now();
    const reply = await socket.emitWithAck("echo", { text: TEXT, seq, tags: TAGS });
    if (into !== undefined) into[seq] = performance.now() - sent;
    if (reply?.seq !== seq || reply.text !== TEXT || reply.tags?.length !== TAGS.length) {
      bad.push(reply);
    }
  }
  return bad;
}

const sockets = await connectAll(url, connections);
const warmupBad = (await Promise.all(sockets.map((s) => echoes(s, warmup)))).flat();
report({ ready: true, connections: sockets.length, warmup_errors: warmupBad.length });
await waitForGo();
countTraffic();

const latencies = new Float64Array(connections * acks);
const started = performance.now();
const bad = (
  await Promise.all(
    sockets.map((s, i) => echoes(s, acks, latencies.subarray(i * acks, (i + 1) * acks))),
  )
).flat();
const seconds = (performance.now() - started) / 1000;

report({
  operations: latencies.length,
  seconds,
  errors: bad.length,
  first_error: bad[0] ?? null,
  latency_ms: latencySummary(latencies),
  messages: traffic.messages,
  payload_bytes: traffic.bytes,
});
await waitForEnd();
disconnectAll(sockets);
