// Events both ways: no ack, acks (promise, callback, timeout), validation errors, server acks.
import { client, connect, main, next, record, report } from "./lib.mjs";

main(async () => {
  const socket = client({ auth: { token: "bob-token" } });
  socket.on("question", (number, answer) => answer(number * 2));
  const log = record(socket);
  await connect(socket);
  report("id", socket.id);

  socket.emit("note", "first note");
  report("join_promise", await socket.emitWithAck("join", { room: "garden" }));
  report(
    "join_callback",
    await new Promise((resolve) => socket.emit("join", { room: "pond" }, resolve)),
  );
  report("join_timeout", await socket.timeout(5000).emitWithAck("join", { room: "lake" }));
  report("empty_room", await socket.emitWithAck("join", { room: "" }));
  report("missing_room", await socket.emitWithAck("join", {}));
  report("missing_argument", await socket.emitWithAck("join"));
  report("missing_second_argument", await socket.emitWithAck("private message", "nobody"));
  report("unknown_event", await socket.emitWithAck("no such event", 1));

  const exception = next(socket, "exception");
  socket.emit("join", { room: 42 });
  report("exception_event", (await exception)[0]);

  report("server_asks", await socket.emitWithAck("ask", 21));
  report("still_connected", {
    connected: socket.connected,
    id: (await socket.emitWithAck("whoami")).id,
  });
  report("events", log);
  socket.disconnect();
});
