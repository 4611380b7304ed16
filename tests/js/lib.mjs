// Shared helpers of the interop scripts: `node <script>.mjs <server url> <transport>`.
// Each script prints one JSON line `{"check": name, "value": ...}` per check on stdout.
import { io } from "socket.io-client";

export const [url, transport] = process.argv.slice(2);
// "default": socket.io-client's own, long-polling first, then the upgrade to a WebSocket.
const TRANSPORTS = { websocket: ["websocket"], polling: ["polling"], default: ["polling", "websocket"] };
if (!url || !(transport in TRANSPORTS)) {
  console.error("usage: node <script>.mjs <server url> websocket|polling|default");
  process.exit(64);
}

const WATCHDOG_MS = Number(process.env.WATCHDOG_MS ?? 15000);
setTimeout(() => {
  console.error(`no result after ${WATCHDOG_MS} ms`);
  process.exit(3);
}, WATCHDOG_MS).unref();

/** Print one check's result as a JSON line. */
export function report(check, value) {
  process.stdout.write(JSON.stringify({ check, value: value === undefined ? null : value }) + "\n");
}

const sockets = [];

/** A socket.io-client socket on the chosen transports, without reconnection. */
export function client(options = {}) {
  const socket = io(url, {
    transports: TRANSPORTS[transport],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    ...options,
  });
  sockets.push(socket);
  return socket;
}

/** Resolve once the Engine.IO connection of every socket has closed. */
function allClosed() {
  const closed = ({ io: manager }) =>
    new Promise((resolve) => {
      if (!manager.engine || manager.engine.readyState === "closed") resolve();
      else manager.engine.once("close", resolve);
    });
  return Promise.all(sockets.map(closed));
}

/** Resolve with the arguments of the next `event` on `socket`, reject after `ms`. */
export function next(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const listener = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    socket.once(event, listener);
  });
}

/** Connect `socket`; resolve once connected, reject with the `connect_error`. */
export function connect(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => {
      socket.off("connect_error", reject);
      resolve(socket);
    });
    socket.once("connect_error", reject);
    socket.connect();
  });
}

/** Record incoming events, connect and disconnect in order, as [name, ...args]. */
export function record(socket) {
  const log = [];
  socket.on("connect", () => log.push(["connect"]));
  socket.on("disconnect", (reason) => log.push(["disconnect", reason]));
  // An ack callback, when the server asked for one, is left out.
  socket.onAny((event, ...args) =>
    log.push([event, ...args.filter((arg) => typeof arg !== "function")]),
  );
  return log;
}

/** Run the script body; a failure is printed and exits non-zero.
 *
 * On success, once every connection has closed (its last packets sent), the
 * process is left `graceMs` to end by itself, then ended; the `exit` check
 * tells which happened and how long after the body finished. */
export function main(body, { graceMs = 500 } = {}) {
  let finished;
  let forced = false;
  process.on("exit", () => {
    if (finished !== undefined) {
      report("exit", { natural: !forced, afterMs: Math.round(performance.now() - finished) });
    }
  });
  body()
    .then(() => {
      finished = performance.now();
      return allClosed();
    })
    .then(
      () => {
        setTimeout(() => {
          forced = true;
          process.exit(0);
        }, graceMs).unref();
      },
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
}
