// A client of tests/contract/sample_app.py typed by the generated ./events.ts.
// It must compile with `tsc --strict --noEmit`; every `@ts-expect-error` line is a
// wrong call that must not compile (tsc reports an unused directive otherwise).
import { io, type Socket } from "socket.io-client";
import type {
  AdminAuth,
  AdminClientToServerEvents,
  AdminServerToClientEvents,
  Auth,
  BanResult,
  ClientToServerEvents,
  ErrorReply,
  Joined,
  MetricsV2ClientToServerEvents,
  MetricsV2ServerToClientEvents,
  ProfileOutput,
  ServerToClientEvents,
} from "./events";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const url = "http://127.0.0.1:1";
const auth: Auth = { token: "let-me-in" };
const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
  autoConnect: false,
  auth,
});
const admin: Socket<AdminServerToClientEvents, AdminClientToServerEvents> = io(`${url}/admin`, {
  autoConnect: false,
  auth: { token: "let-me-in", role: "moderator" } satisfies AdminAuth,
});
const metrics: Socket<MetricsV2ServerToClientEvents, MetricsV2ClientToServerEvents> = io(
  `${url}/metrics-v2`,
  { autoConnect: false },
);

export async function main(): Promise<void> {
  socket.on("user joined", (payload) => {
    const room: string = payload.room;
    console.log(room);
  });
  socket.on("exception", (exception) => {
    const code: string = exception.error.code;
    const where: (string | number)[] = exception.error.details[0].loc;
    console.log(exception.event, code, where);
  });
  socket.emit("join", { room: "lobby" }, (ack) => {
    console.log("error" in ack ? ack.error.message : ack.members);
  });
  const joined = await socket.emitWithAck("join", { room: "lobby" });
  const joinedType: Equals<typeof joined, Joined | ErrorReply> = true;
  socket.emit("private message", "someone", "hi");
  const pong = await socket.emitWithAck("ping");
  const pongType: Equals<typeof pong, string | ErrorReply> = true;
  socket.emit("stats", (...ack) => {
    if (ack.length === 2) {
      const [rooms, id]: [number, string] = ack;
      console.log(rooms, id);
    }
  });
  socket.emit("draw", { kind: "circle", radius: 1 });
  socket.emit("draw", { kind: "square", side: 2 }, "green", 2);
  socket.emit("sum", 1, 2, 3, (ack) => console.log(ack));
  const total = await socket.emitWithAck("sum", 1, 2, 3);
  const totalType: Equals<typeof total, number | ErrorReply> = true;
  socket.emit("log");
  socket.emit("log", "one", "two");
  const stored = await socket.emitWithAck("profile", {
    name: "Ada",
    favourite: "red",
    address: { city: "London" },
    friends: [{ name: "Bob", scores: { chess: 3 } }],
  });
  const storedType: Equals<typeof stored, ProfileOutput | null | ErrorReply> = true;
  admin.emit("kick", "someone", (ack) => console.log(ack));
  admin.emit("kick", "someone", "spam", (ack) => console.log(ack));
  const banned = await admin.emitWithAck("ban", { userId: "someone", minutes: 5 });
  const bannedType: Equals<typeof banned, BanResult | ErrorReply> = true;
  admin.on("banned", (ban) => {
    const level: 1 | 2 = ban.level;
    console.log(level, ban.minutes);
  });
  socket.on("user left", (id) => {
    const left: string = id;
    console.log(left);
  });
  socket.on("whisper", (fromId, text) => {
    const parts: [string, string] = [fromId, text];
    console.log(parts);
  });
  admin.on("level changed", (level) => {
    const changed: 1 | 2 = level;
    console.log(changed);
  });
  metrics.on("tick", (tick) => console.log(tick.at));
  console.log(joinedType, pongType, totalType, storedType, bannedType);

  // @ts-expect-error the room is a string
  socket.emit("join", { room: 1 }, () => {});
  // @ts-expect-error an event with an ack needs the callback
  socket.emit("join", { room: "lobby" });
  // @ts-expect-error no such event
  socket.emit("jion", { room: "lobby" });
  // @ts-expect-error "purple" is not a Color
  socket.emit("draw", { kind: "circle", radius: 1 }, "purple");
  // @ts-expect-error a circle has a radius, not a side
  socket.emit("draw", { kind: "circle", side: 1 });
  // @ts-expect-error every number to sum is a number
  socket.emit("sum", 1, "2", () => {});
  // @ts-expect-error "private message" takes two strings
  socket.emit("private message", "someone");
  // @ts-expect-error the wire names are the aliases (userId)
  admin.emit("ban", { user_id: "someone", minutes: 5 }, () => {});
  // @ts-expect-error the client cannot emit the server's events
  socket.emit("user joined", { room: "lobby", user: "someone" });
  // @ts-expect-error the acks of "stats" are a number, then a string
  socket.emit("stats", (rooms: string) => console.log(rooms));
  // @ts-expect-error "/metrics-v2" has no client-to-server event
  metrics.emit("tick", { at: 1 });
  // @ts-expect-error "user left" carries a string
  socket.on("user left", (id: number) => console.log(id));
  // @ts-expect-error the text of "whisper" is a string
  socket.on("whisper", (fromId: string, text: number) => console.log(fromId, text));
  // @ts-expect-error "whisper" carries two arguments, not an object
  socket.on("whisper", (message: { text: string }) => console.log(message));
  // @ts-expect-error the client cannot emit the server's "whisper"
  socket.emit("whisper", "someone", "hi");
  // @ts-expect-error "/admin" does not emit "tick"
  admin.on("tick", () => {});
  // @ts-expect-error the token is a string
  io(url, { auth: { token: 1 } satisfies Auth });
  // @ts-expect-error "owner" is no role of "/admin"
  io(`${url}/admin`, { auth: { token: "let-me-in", role: "owner" } satisfies AdminAuth });
}
