// After socket.disconnect() the client process ends by itself: nothing is left pending.
import { client, connect, main, next, report } from "./lib.mjs";

main(
  async () => {
    const socket = client({ auth: { token: "carol-token" } });
    await connect(socket);
    report("whoami", (await socket.emitWithAck("whoami")).id);
    const closed = next(socket, "disconnect");
    socket.disconnect();
    report("disconnect", (await closed)[0]);
  },
  { graceMs: 5000 },
);
