// The example chat's whole contract through socket.io-client: the REST routes, who may
// connect, every event with its arguments, acks and errors, and the departure notice.
import { client, connect, main, next, report, url } from "./lib.mjs";

/** `{status, body}` of a JSON request to the app. */
async function http(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function login(username) {
  return (await http("POST", "/api/login", { body: { username } })).body.token;
}

/** The `connect_error` of a client connecting with `options`, or null if it connected. */
async function refusal(options) {
  try {
    await connect(client(options));
    return null;
  } catch (err) {
    return { message: err.message, data: err.data };
  }
}

async function rest() {
  report("health", await http("GET", "/api/health"));
  const names = ["", "x".repeat(33), "has space", "semi;colon", null];
  const statuses = [];
  for (const username of names) {
    statuses.push((await http("POST", "/api/login", { body: { username } })).status);
  }
  statuses.push((await http("POST", "/api/login", { body: {} })).status);
  report("bad logins", statuses);
  const token = await login("ann");
  report("token", typeof token);
  report("online without token", (await http("GET", "/api/online")).status);
  report("online with unknown token", (await http("GET", "/api/online", { token: "x" })).status);
  return token;
}

async function refusals(token) {
  report("refused", {
    unknown: await refusal({ auth: { token: "forged" } }),
    missing: await refusal({}),
    "not a string": await refusal({ auth: { token: 42 } }),
    empty: await refusal({ auth: { token: "" } }),
  });
  report("extra auth key", await refusal({ auth: { token, admin: true } }));
}

async function rooms(ann, bob, cy) {
  report("whoami", await ann.emitWithAck("whoami"));
  report("ann joins", await ann.emitWithAck("join", { room: "lobby" }));
  const joined = next(ann, "user has joined");
  report("bob joins", await bob.emitWithAck("join", { room: "lobby" }));
  report("ann hears", await joined);
  report("ann's rooms", (await ann.emitWithAck("whoami")).rooms);
  report("empty room name", await cy.emitWithAck("join", { room: "" }));
  report("long room name", await cy.emitWithAck("join", { room: "x".repeat(65) }));
  report("socket id as room", await cy.emitWithAck("join", { room: bob.id }));
  const acks = [];
  for (let index = 1; index <= 51; index += 1) {
    acks.push(await cy.emitWithAck("join", { room: `room ${index}` }));
  }
  report("fifty rooms", acks.slice(0, 50).every((ack) => ack.members === 1));
  report("fifty-first room", acks[50]);
  report("a room already joined", await cy.emitWithAck("join", { room: "room 1" }));
}

async function messages(ann, bob, cy) {
  const annHears = next(ann, "chat message");
  const bobHears = next(bob, "chat message");
  report("sent", await ann.emitWithAck("chat message", { room: "lobby", text: "hello" }));
  report("chat", { ann: await annHears, bob: await bobHears });
  report("not in room", await cy.emitWithAck("chat message", { room: "lobby", text: "x" }));
  const exception = next(cy, "exception");
  cy.emit("chat message", { room: "lobby", text: "no ack asked" });
  report("not in room, no ack", await exception);
  const long = { room: "lobby", text: "x".repeat(2001) };
  report("too long", await bob.emitWithAck("chat message", long));
}

async function whispers(ann, bob, cy) {
  const whisper = next(bob, "private message");
  ann.emit("private message", bob.id, "psst");
  report("private", await whisper);
  // bob is in the room: had a refused message reached it, bob would hear it first.
  const after = next(bob, "private message");
  report("private to a room", await cy.emitWithAck("private message", "lobby", "hi all"));
  const refused = next(cy, "exception");
  cy.emit("private message", "lobby", "hi all");
  report("private to a room, no ack", await refused);
  cy.emit("private message", bob.id, "only you");
  report("private after", await after);
  report("private without text", await cy.emitWithAck("private message", bob.id));
}

main(async () => {
  const token = await rest();
  await refusals(token);
  const ann = await connect(client({ auth: { token } }));
  const bob = await connect(client({ auth: { token: await login("bob") } }));
  const cy = await connect(client({ auth: { token: await login("cy") } }));
  report("ids", { ann: ann.id, bob: bob.id, cy: cy.id });

  await rooms(ann, bob, cy);
  await messages(ann, bob, cy);
  await whispers(ann, bob, cy);

  report("online", await http("GET", "/api/online", { token }));
  report("bob leaves", await bob.emitWithAck("leave", { room: "lobby" }));
  await bob.emitWithAck("join", { room: "lobby" });
  const left = next(bob, "user has left");
  ann.disconnect();
  report("left", await left);
  bob.disconnect();
  cy.disconnect();
});
