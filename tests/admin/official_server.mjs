// The official Admin UI server side, instrument() of @socket.io/admin-ui, under Node
// socket.io: the same small app as tests/test_admin_protocol.py serves with sioapp, so that
// a test can compare what both send. Usage: node official_server.mjs <mode> <readonly> <hash>
// Prints {"port": ...} once listening; exits when its stdin closes.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { instrument } from "@socket.io/admin-ui";

const [mode = "development", readonly = "false", hash] = process.argv.slice(2);

const httpServer = createServer();
const io = new Server(httpServer);

io.use((socket, next) => {
  socket.data.name = socket.handshake.auth.name ?? "anonymous";
  next();
});

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    socket.data.room = room;
    socket.to(room).emit("joined", socket.id);
    socket.emit("welcome", room);
    if (typeof ack === "function") ack({ room });
  });
});

instrument(io, {
  auth: { type: "basic", username: "admin", password: hash },
  mode,
  readonly: readonly === "true",
  serverId: "official",
});

httpServer.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: httpServer.address().port }));
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
