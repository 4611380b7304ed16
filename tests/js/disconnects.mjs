// Disconnects started by the server (socket.disconnect()) and by closing the transport.
import { client, connect, main, next, report } from "./lib.mjs";

main(async () => {
  const kicked = client({ auth: { token: "alice-token" } });
  await connect(kicked);
  const kickedClosed = next(kicked, "disconnect");
  kicked.emit("kick me");
  report("kicked", { id: kicked.id, reason: (await kickedClosed)[0], active: kicked.active });

  const dropped = client({ auth: { token: "bob-token" } });
  await connect(dropped);
  const id = dropped.id;
  const droppedClosed = next(dropped, "disconnect");
  dropped.io.engine.close();
  report("dropped", { id, reason: (await droppedClosed)[0] });
});
