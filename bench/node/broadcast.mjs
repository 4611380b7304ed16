// Broadcast to a room: `--clients` connections join one room, then a separate
// sender connection asks the server for `--messages` broadcasts to that room,
// one after the other (the next as soon as the server acked the previous one).
// Every member times every message from the moment the sender emitted it.
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

const { url, clients, messages, warmup } = settings({
  clients: 500,
  messages: 200,
  warmup: 10,
});

const ROOM = "bench";
const TEXT = "news from the benchmark";

const members = await connectAll(url, clients);
const [sender] = await connectAll(url, 1);
const joined = await Promise.all(members.map((s) => s.emitWithAck("join", { room: ROOM })));
const badJoins = joined.filter((ack) => ack !== true);
if (badJoins.length > 0) throw new Error(`join failed: ${JSON.stringify(badJoins[0])}`);

// Each member must see seq 0, 1, 2... in order; measured messages are timed.
const latencies = new Float64Array(clients * messages);
const bad = [];
let delivered = 0;
let target = 0;
let reached = () => {};
members.forEach((socket, i) => {
  let next = 0;
  socket.on("news", (news) => {
    const now = performance.now();
    if (news?.seq !== next || news.text !== TEXT) bad.push(news);
    next = (news?.seq ?? next) + 1;
    if (news?.seq >= warmup) latencies[i * messages + news.seq - warmup] = now - news.sent;
    if (++delivered === target) reached();
  });
});

/** Broadcast seq `from` up to `to` (excluded); resolve when every member got them all. */
async function broadcasts(from, to) {
  if (from === to) return;
  const all = new Promise((resolve) => {
    reached = resolve;
  });
  target = clients * to;
  for (let seq = from; seq < to; seq++) {
    const news = { text: TEXT, seq, sent: performance.now() };
    const ack = await sender.emitWithAck("broadcast", { room: ROOM, news });
    if (ack !== true) bad.push(ack);
  }
  await all;
}

await broadcasts(0, warmup);
report({ ready: true, connections: members.length + 1, warmup_errors: bad.length });
await waitForGo();
countTraffic();

const started = performance.now();
await broadcasts(warmup, warmup + messages);
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
disconnectAll([...members, sender]);
