// Node reference server: socket.io with the same handlers as the Python servers.
// BENCH_SERIALIZER=msgpack serves socket.io-msgpack-parser's wire format.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
  },
});

function isNews(msg) {
  return (
    typeof msg === "object" &&
    msg !== null &&
    typeof msg.text === "string" &&
    Number.isInteger(msg.seq) &&
    typeof msg.sent === "number"
  );
}

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
const io = new Server(httpServer, {
  perMessageDeflate: false,
  serveClient: false,
  ...(process.env.BENCH_SERIALIZER === "msgpack" ? { parser: msgpackParser } : {}),
});

io.on("connection", (socket) => {
  socket.on("echo", (msg, ack) => {
    if (typeof ack === "function") ack(isEcho(msg) ? msg : { error: "invalid echo" });
  });
  socket.on("join", (msg, ack) => {
    const valid = typeof msg?.room === "string";
    if (valid) socket.join(msg.room);
    if (typeof ack === "function") ack(valid ? true : { error: "invalid join" });
  });
  socket.on("broadcast", (msg, ack) => {
    const valid = typeof msg?.room === "string" && isNews(msg.news);
    if (valid) io.to(msg.room).emit("news", msg.news);
    if (typeof ack === "function") ack(valid ? true : { error: "invalid broadcast" });
  });
});

httpServer.listen(Number(values.port), values.host);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => io.close(() => process.exit(0)));
}
