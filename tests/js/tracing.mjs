// A trace that starts in the client goes on in the server: one socket sends its
// traceparent in the handshake's auth (what a browser's WebSocket can send), another in
// an HTTP header; each then sends one event.
import { client, connect, main, report } from "./lib.mjs";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

main(async () => {
  const viaAuth = client({ auth: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
  const viaHeader = client({ extraHeaders: { traceparent: `00-${TRACE}-b7ad6b7169203331-01` } });
  for (const [name, socket] of [["auth", viaAuth], ["header", viaHeader]]) {
    await connect(socket);
    report(name, { id: socket.id, doubled: await socket.emitWithAck("double", 21) });
    socket.disconnect();
  }
});
