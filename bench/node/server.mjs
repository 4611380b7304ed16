// Node reference server: socket.io with the same handlers as the Python servers.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
  },
});

function isEcho(msg) {
  return (
    typeof msg === "object" &&
    msg !== null &&
    typeof msg.text === "string" &&
    Number.isInteger(msg.seq) &&
    Array.isArray(msg.tags) &&
    msg.tags.every((tag) => typeof tag === "string")
  );
}

const httpServer = createServer();
const io = new Server(httpServer, { perMessageDeflate: false, serveClient: false });

io.on("connection", (socket) => {
  socket.on("echo", (msg, ack) => {
    if (typeof ack === "function") ack(isEcho(msg) ? msg : { error: "invalid echo" });
  });
});

httpServer.listen(Number(values.port), values.host);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => io.close(() => process.exit(0)));
}
