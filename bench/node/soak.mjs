// Soak: `--clients` connections in `--rooms` rooms (client i in room i % rooms, for the
// whole run) each say `--rate` chat messages per second to their room for `--duration`
// seconds, round-robin at a steady overall pace. The server sends each message to the
// other members of its room and acks it to its sender with its seq.
//
// Every receiver counts each (sender, seq) it gets, so lost and duplicated messages are
// counted exactly: each acked message is expected once by every other member of its room.
// After the last message the driver waits for the acks still due, then for deliveries
// until all expected ones came or none came for `--drain` seconds.
import {
  connectAll,
  disconnectAll,
  report,
  settings,
  waitForEnd,
  waitForGo,
} from "./lib/driver.mjs";

const { url, clients, rooms, rate, duration, "ack-timeout": ackTimeout, drain } = settings({
  clients: 1000,
  rooms: 100,
  rate: 0.25,
  duration: 300,
  "ack-timeout": 30,
  drain: 5,
});
const ackTimeoutMs = ackTimeout * 1000;
const drainMs = drain * 1000;

const TEXT = "a chat message of the soak, about as long as a short sentence";
const TICK_MS = 10;
const perSecond = clients * rate;
const total = Math.floor(duration * perSecond);
/** The most messages one client says: round-robin gives each total / clients, rounded up. */
const maxSeq = Math.ceil(total / clients);

const roomOf = (i) => `room-${i % rooms}`;
/** Members of each room, in client order: client i is member Math.floor(i / rooms). */
const members = Array.from({ length: rooms }, (_, r) =>
  Array.from({ length: Math.ceil((clients - r) / rooms) }, (_, k) => r + k * rooms),
);

// ---- what receivers got: counts[i][slot * maxSeq + seq] for the member at `slot`
const counts = Array.from({ length: clients }, (_, i) =>
  new Uint8Array(members[i % rooms].length * maxSeq),
);
let received = 0;
let unexpected = 0;
let firstUnexpected = null;
let lastDelivery = 0;

// ---- delivery latency: a histogram of 0.1 ms buckets up to 60 s
const BUCKET_MS = 0.1;
const BUCKETS = 600_000;
const histogram = new Uint32Array(BUCKETS + 1);
let latencyMax = 0;
let latencySum = 0;

function recordLatency(ms) {
  histogram[Math.min(BUCKETS, Math.max(0, Math.floor(ms / BUCKET_MS)))]++;
  latencyMax = Math.max(latencyMax, ms);
  latencySum += ms;
}

function latencyQuantile(q, count) {
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let bucket = 0; bucket <= BUCKETS; bucket++) {
    seen += histogram[bucket];
    if (seen >= rank) return Math.min((bucket + 1) * BUCKET_MS, latencyMax);
  }
  return latencyMax;
}

function latencySummary(count) {
  if (count === 0) return null;
  const at = (q) => latencyQuantile(q, count);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: latencyMax, mean: latencySum / count };
}

/** Whether `msg`, received by client `i`, is a message a member of its room said. */
function expectedBy(i, msg) {
  const j = msg?.sender;
  return (
    Number.isInteger(j) &&
    j >= 0 &&
    j < clients &&
    j !== i &&
    j % rooms === i % rooms &&
    msg.room === roomOf(i) &&
    Number.isInteger(msg.seq) &&
    msg.seq >= 0 &&
    msg.seq < nextSeq[j] &&
    msg.text === TEXT
  );
}

function onChat(i, msg) {
  const now = performance.now();
  lastDelivery = now;
  if (!expectedBy(i, msg)) {
    unexpected++;
    firstUnexpected ??= { receiver: i, message: msg };
    return;
  }
  received++;
  const cell = Math.floor(msg.sender / rooms) * maxSeq + msg.seq;
  counts[i][cell] = Math.min(255, counts[i][cell] + 1);
  recordLatency(now - msg.sent);
}

// ---- what senders said and what the server acked
const nextSeq = new Uint32Array(clients);
const acked = Array.from({ length: clients }, () => new Uint8Array(maxSeq));
let ackedCount = 0;
let expected = 0;
let ackTimeouts = 0;
let badAcks = 0;
let firstError = null;
let pending = 0;
let allSettled = () => {};

function say(sockets, j) {
  const seq = nextSeq[j]++;
  const msg = { room: roomOf(j), sender: j, seq, sent: performance.now(), text: TEXT };
  pending++;
  sockets[j]
    .timeout(ackTimeoutMs)
    .emitWithAck("say", msg)
    .then(
      (ack) => {
        if (ack?.seq === seq) {
          acked[j][seq] = 1;
          ackedCount++;
          expected += members[j % rooms].length - 1;
        } else {
          badAcks++;
          firstError ??= { sender: j, seq, ack };
        }
      },
      (error) => {
        ackTimeouts++;
        firstError ??= { sender: j, seq, error: String(error) };
      },
    )
    .finally(() => {
      if (--pending === 0) allSettled();
    });
}

/** Say `total` messages round-robin, `perSecond` of them each second. */
function chat(sockets) {
  const started = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond));
      while (sent < due) say(sockets, sent++ % clients);
      if (sent === total) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
}

/** Resolve once every ack came back or timed out. */
function acksSettled() {
  return pending === 0 ? Promise.resolve() : new Promise((resolve) => (allSettled = resolve));
}

/** Resolve once every expected delivery came, or none came for `drainMs`. */
function drained() {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (received >= expected || performance.now() - lastDelivery > drainMs) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
}

/** Lost and duplicated deliveries, over every receiver and every member of its room. */
function tally() {
  let lost = 0;
  let duplicated = 0;
  let firstLost = null;
  for (let i = 0; i < clients; i++) {
    members[i % rooms].forEach((j, slot) => {
      if (j === i) return;
      for (let seq = 0; seq < nextSeq[j]; seq++) {
        const count = counts[i][slot * maxSeq + seq];
        if (count > 1) duplicated += count - 1;
        if (count === 0 && acked[j][seq] === 1) {
          lost++;
          firstLost ??= { receiver: i, sender: j, seq };
        }
      }
    });
  }
  return { lost, duplicated, firstLost };
}

// ---- the run
const sockets = await connectAll(url, clients);
let closing = false;
let disconnects = 0;
let firstDisconnect = null;
sockets.forEach((socket, i) => {
  socket.on("chat", (msg) => onChat(i, msg));
  socket.on("disconnect", (reason) => {
    if (closing) return;
    disconnects++;
    firstDisconnect ??= { client: i, reason };
  });
});
const joins = await Promise.all(
  sockets.map((socket, i) => socket.timeout(ackTimeoutMs).emitWithAck("join", { room: roomOf(i) })),
);
members.forEach((room, r) => {
  const seen = Math.max(...room.map((i) => joins[i]?.members ?? 0));
  if (seen !== room.length) throw new Error(`room-${r} has ${seen} members, not ${room.length}`);
});
report({ ready: true, connections: clients, rooms, messages: total });
await waitForGo();

const started = performance.now();
await chat(sockets);
const seconds = (performance.now() - started) / 1000;
await acksSettled();
await drained();
const { lost, duplicated, firstLost } = tally();
report({
  seconds,
  drain_seconds: (performance.now() - started) / 1000 - seconds,
  sent: total,
  acked: ackedCount,
  ack_timeouts: ackTimeouts,
  bad_acks: badAcks,
  first_error: firstError,
  expected,
  received,
  lost,
  duplicated,
  first_lost: firstLost,
  unexpected,
  first_unexpected: firstUnexpected,
  disconnects,
  first_disconnect: firstDisconnect,
  latency_ms: latencySummary(received),
});
await waitForEnd();
closing = true;
disconnectAll(sockets);
