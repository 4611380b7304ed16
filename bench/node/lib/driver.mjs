// What every load driver shares: connecting clients and the line protocol with the runner.
//
// A driver prints one JSON line when its clients are connected and warmed up,
// waits for one line on stdin ("go"), runs the measured phase and prints one
// JSON line with its result. The runner reads the server's CPU time between
// the two lines, so setup and warm-up are never measured.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

/** Open `count` independent WebSocket connections to `url`. */
export async function connectAll(url, count) {
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    sockets.push(socket);
  }
  await Promise.all(sockets.map(connected));
  return sockets;
}

function connected(socket) {
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

/** Resolve when the runner writes the line that starts the measured phase. */
export function waitForGo() {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once("line", () => {
      lines.close();
      process.stdin.destroy();
      resolve();
    });
  });
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
