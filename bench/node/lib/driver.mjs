// What every load driver shares: connecting clients and the line protocol with the runner.
//
// A driver prints one JSON line when its clients are connected and warmed up,
// waits for one line on stdin ("go"), runs the measured phase and prints one
// JSON line with its result. The runner reads the server's CPU time (and
// memory) between the two lines, so setup and warm-up are never measured,
// then closes stdin: a driver may keep its connections open until then.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";

/** Connections opened at once by `connectAll`; more would only fill the listen backlog. */
const CONNECT_BATCH = 100;

/** The parser of every client: `--serializer=msgpack` for socket.io-msgpack-parser. */
let parser;

/** The command line: `--url`, `--serializer` (`json` or `msgpack`), and a number for each
 * setting of `defaults` (`{acks: 400}` takes `--acks=N`, 400 when absent). */
export function settings(defaults) {
  const options = { url: { type: "string" }, serializer: { type: "string", default: "json" } };
  for (const [name, value] of Object.entries(defaults)) {
    options[name] = { type: "string", default: String(value) };
  }
  const { values } = parseArgs({ options });
  parser = values.serializer === "msgpack" ? msgpackParser : undefined;
  const parsed = { url: values.url };
  for (const name of Object.keys(defaults)) parsed[name] = Number(values[name]);
  return parsed;
}

/** The Engine.IO messages every client sent and received since `countTraffic()`, and their
 * bytes: what each WebSocket frame carries, without the frame's own header. */
export const traffic = { messages: 0, bytes: 0 };

/** Count traffic from now on. */
export function countTraffic() {
  traffic.messages = 0;
  traffic.bytes = 0;
}

function counted(packet) {
  if (packet.type !== "message") return;
  traffic.messages += 1;
  // a text message is its type digit "4" and the text; a binary one, its bytes
  traffic.bytes +=
    typeof packet.data === "string" ? 1 + Buffer.byteLength(packet.data) : packet.data.byteLength;
}

/** One WebSocket connection to `url`, not yet connected. */
export function open(url) {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, parser });
  socket.io.engine.on("packet", counted);
  socket.io.engine.on("packetCreate", counted);
  return socket;
}

/** Open `count` independent WebSocket connections to `url`, `CONNECT_BATCH` at a time;
 * connect latencies (ms) go to `into` when given. */
export async function connectAll(url, count, into) {
  const sockets = [];
  for (let first = 0; first < count; first += CONNECT_BATCH) {
    const batch = [];
    for (let i = first; i < Math.min(count, first + CONNECT_BATCH); i++) {
      const started = performance.now();
      const socket = open(url);
      sockets.push(socket);
      batch.push(
        connected(socket).then(() => {
          if (into !== undefined) into[i] = performance.now() - started;
        }),
      );
    }
    await Promise.all(batch);
  }
  return sockets;
}

/** Resolve when `socket` is connected; reject with its connect error. */
export function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

export function disconnectAll(sockets) {
  for (const socket of sockets) socket.disconnect();
}

/** Print one JSON line for the runner. */
export function report(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
}

const stdinLines = createInterface({ input: process.stdin });
const stdinClosed = new Promise((resolve) => stdinLines.once("close", resolve));

/** Resolve when the runner writes the line that starts the measured phase. */
export function waitForGo() {
  return new Promise((resolve) => stdinLines.once("line", resolve));
}

/** Resolve when the runner closes stdin: it has measured what it needed. */
export function waitForEnd() {
  return stdinClosed;
}

/** p50, p90, p99, max and mean of latencies in milliseconds. */
export function latencySummary(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1],
    mean: total / sorted.length,
  };
}
