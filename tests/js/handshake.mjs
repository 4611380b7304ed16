// What the server sees of the handshake: auth, query, headers, address, url, time.
import { client, connect, main, report } from "./lib.mjs";

main(async () => {
  const socket = client({
    auth: { token: "alice-token", color: "blue" },
    query: { room: "lobby", n: "1" },
    extraHeaders: { "x-interop": "yes" },
  });
  await connect(socket);
  report("id", socket.id);
  const who = await socket.emitWithAck("whoami");
  report("handshake", who.handshake);
  report("time_parsed", Date.parse(who.handshake.time));
  socket.disconnect();
});
