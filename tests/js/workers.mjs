// Many clients against `sioapp run --workers N` (the probe app of tests/test_cli_run.py):
// "websocket" gives each client socket.io-client's default transports (long-polling
// first, then the upgrade to WebSocket), "polling" long-polling only.
import { io } from "socket.io-client";
import { main, next, report, transport, url } from "./lib.mjs";

const CLIENTS = 100;
const WAIT_MS = 20000;

/** A client on its own Engine.IO session, as in a page of its own; a failure is not retried. */
function open() {
  const options = { forceNew: true, reconnection: false };
  if (transport === "polling") options.transports = ["polling"];
  const socket = io(url, options);
  socket.dropped = [];
  socket.on("disconnect", (reason) => socket.dropped.push(reason));
  socket.on("question", (question, answer) => answer(`${socket.id}: ${question}`));
  return socket;
}

/** Resolve once `socket` is connected, with null, or with its connect_error's message. */
function connected(socket) {
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(null));
    socket.once("connect_error", (error) => resolve(error.message));
  });
}

/** Resolve with the transport `socket` settles on: WebSocket once upgraded. */
function settled(socket) {
  const engine = socket.io.engine;
  if (transport === "polling" || engine.transport.name === "websocket") {
    return Promise.resolve(engine.transport.name);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(engine.transport.name), WAIT_MS);
    engine.once("upgrade", () => {
      clearTimeout(timer);
      resolve(engine.transport.name);
    });
  });
}

function tally(values) {
  const counts = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

main(async () => {
  const sockets = Array.from({ length: CLIENTS }, open);
  const failures = (await Promise.all(sockets.map(connected))).filter((error) => error !== null);
  report("connected", { clients: CLIENTS, failures: failures.length, first: failures[0] });
  const live = sockets.filter((socket) => socket.connected);
  report("transports", tally(await Promise.all(live.map(settled))));

  const pids = await Promise.all(live.map((socket) => socket.timeout(WAIT_MS).emitWithAck("whoami")));
  const byWorker = tally(pids.map(([pid]) => pid));
  report("workers", byWorker);
  report("engine ids", live.map((socket) => socket.io.engine.id));

  // One speaker on each worker: every client hears every one of them.
  const speakers = Object.keys(byWorker).map((pid) => live[pids.findIndex(([p]) => `${p}` === pid)]);
  const heard = live.map((socket) => {
    const texts = [];
    return new Promise((resolve) => {
      socket.on("heard", (text) => {
        texts.push(text);
        if (texts.length === speakers.length) resolve(texts.sort());
      });
      setTimeout(() => resolve(texts.sort()), WAIT_MS);
    });
  });
  for (const speaker of speakers) speaker.emit("shout", `from ${speaker.id}`);
  const texts = await Promise.all(heard);
  const expected = speakers.map((speaker) => `from ${speaker.id}`).sort();
  report("heard everyone", texts.filter((got) => JSON.stringify(got) === JSON.stringify(expected)).length);

  const echoes = await Promise.all(
    live.map((socket, index) => socket.timeout(WAIT_MS).emitWithAck("echo", `echo ${index}`)),
  );
  report("echoes", echoes.filter((echo, index) => echo === `echo ${index}`).length);
  report("survey", await live[0].timeout(WAIT_MS).emitWithAck("survey", "still there?"));

  report("dropped", live.flatMap((socket) => socket.dropped));
  const closed = live.map((socket) => next(socket, "disconnect"));
  for (const socket of live) socket.disconnect();
  await Promise.all(closed);
});
