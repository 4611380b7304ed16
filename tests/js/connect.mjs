// Connect, compare ids, check the on_connect emit comes after "connect", join a room, disconnect.
import { client, connect, main, next, record, report } from "./lib.mjs";

main(async () => {
  const socket = client({ auth: { token: "alice-token" } });
  const log = record(socket);
  const welcome = next(socket, "welcome");
  await connect(socket);
  report("connected", {
    id: socket.id,
    connected: socket.connected,
    transport: socket.io.engine.transport.name,
  });
  await welcome;
  report("events", log);

  const before = await socket.emitWithAck("whoami");
  report("whoami", { id: before.id, user: before.user, data: before.data, rooms: before.rooms });
  report("join", await socket.emitWithAck("join", { room: "lobby" }));
  report("rooms_after_join", (await socket.emitWithAck("whoami")).rooms);

  const closed = next(socket, "disconnect");
  socket.disconnect();
  report("disconnect", { reason: (await closed)[0], active: socket.active });
});
