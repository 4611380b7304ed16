// Connect with the client's default options: long-polling, then the upgrade; then an ack.
import { client, connect, main, report } from "./lib.mjs";

main(async () => {
  const socket = client({ auth: { token: "alice-token" } });
  const upgraded = new Promise((resolve) =>
    socket.io.on("open", () => {
      report("opened_on", socket.io.engine.transport.name);
      socket.io.engine.once("upgrade", resolve);
    }),
  );
  await connect(socket);
  await upgraded;
  const whoami = await socket.emitWithAck("whoami");
  report("upgraded", { transport: socket.io.engine.transport.name, same_id: whoami.id === socket.id });
  socket.disconnect();
});
