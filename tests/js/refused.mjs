// Connection middleware refusing a client: connect_error carries message and data.
import { client, connect, main, report } from "./lib.mjs";

main(async () => {
  const attempts = [
    ["bad_token", { auth: { token: "mallory-token" } }],
    ["no_auth", {}],
    ["good_token", { auth: { token: "carol-token" } }],
  ];
  for (const [name, options] of attempts) {
    const socket = client(options);
    try {
      await connect(socket);
      report(name, { connected: socket.connected, id: socket.id });
    } catch (err) {
      report(name, {
        error: err instanceof Error,
        message: err.message,
        data: err.data ?? null,
        active: socket.active,
        connected: socket.connected,
      });
    }
    socket.disconnect();
  }
});
