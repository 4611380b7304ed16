// Clients of a worker killed with SIGKILL come back to the other workers, recovered: the
// recovery app of tests/cluster/test_workers_js.py, socket.io-client on its default
// options (reconnection on), "default" or "polling" transports.
import { io } from "socket.io-client";
import { main, next, report, transport, url } from "./lib.mjs";

const CLIENTS = 12;
const WAIT_MS = 20000;

function open() {
  const options = { forceNew: true };
  if (transport === "polling") options.transports = ["polling"];
  const socket = io(url, options);
  socket.heard = [];
  socket.on("heard", (text) => socket.heard.push(text));
  return socket;
}

/** Resolve once `socket` hears `text`. */
function hears(socket, text) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${WAIT_MS} ms`)), WAIT_MS);
    socket.on("heard", (got) => {
      if (got === text) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

main(async () => {
  const sockets = Array.from({ length: CLIENTS }, open);
  await Promise.all(sockets.map((socket) => next(socket, "connect", WAIT_MS)));
  const ids = sockets.map((socket) => socket.id);
  const pids = await Promise.all(
    sockets.map((socket, index) => socket.timeout(WAIT_MS).emitWithAck("settle", `client ${index}`)),
  );
  // The sessions reach Redis within a sweep of their change: wait for every one of them.
  const deadline = Date.now() + WAIT_MS;
  while ((await sockets[0].timeout(WAIT_MS).emitWithAck("checkpointed")) < CLIENTS) {
    if (Date.now() > deadline) throw new Error("the sessions were never checkpointed");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const victim = pids[0];
  const victims = sockets.filter((_, index) => pids[index] === victim);
  const others = sockets.filter((_, index) => pids[index] !== victim);
  const back = victims.map(async (socket) => {
    await next(socket, "disconnect", WAIT_MS);
    await next(socket, "connect", WAIT_MS);
  });
  process.kill(victim, "SIGKILL");
  others[0].emit("shout", "while away");
  await Promise.all(back);

  report("victims", victims.length);
  report("recovered", victims.filter((socket) => socket.recovered).length);
  report("same ids", victims.filter((socket) => socket.id === ids[sockets.indexOf(socket)]).length);
  const statuses = await Promise.all(victims.map((socket) => socket.timeout(WAIT_MS).emitWithAck("status")));
  report(
    "kept",
    statuses.filter(
      (status, index) =>
        status.pid !== victim &&
        status.recovered &&
        JSON.stringify(status.rooms) === '["lobby"]' &&
        status.name === `client ${sockets.indexOf(victims[index])}`,
    ).length,
  );
  // Events arrive in order: once everyone heard the last one, each heard the missed one once.
  const last = Promise.all(sockets.map((socket) => hears(socket, "last")));
  others[0].emit("shout", "last");
  await last;
  report("heard once", sockets.filter((socket) => JSON.stringify(socket.heard) === '["while away","last"]').length);

  const closed = sockets.map((socket) => next(socket, "disconnect"));
  for (const socket of sockets) socket.disconnect();
  await Promise.all(closed);
});
