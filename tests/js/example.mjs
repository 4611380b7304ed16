// The example chat's contract through socket.io-client: login over REST, auth,
// whoami, join, chat message, private message, leave, and departure notices.
import { client, connect, main, next, report, url } from "./lib.mjs";

async function login(username) {
  const response = await fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username }),
  });
  return (await response.json()).token;
}

main(async () => {
  const refused = client({ auth: { token: "forged" } });
  try {
    await connect(refused);
    report("refused", null);
  } catch (err) {
    report("refused", { message: err.message, data: err.data });
  }

  const ann = await connect(client({ auth: { token: await login("ann") } }));
  const bob = await connect(client({ auth: { token: await login("bob") } }));
  report("ids", { ann: ann.id, bob: bob.id });
  report("whoami", await ann.emitWithAck("whoami"));

  report("ann joins", await ann.emitWithAck("join", { room: "lobby" }));
  const joined = next(ann, "user has joined");
  report("bob joins", await bob.emitWithAck("join", { room: "lobby" }));
  report("ann hears", await joined);

  const annHears = next(ann, "chat message");
  const bobHears = next(bob, "chat message");
  report("sent", await ann.emitWithAck("chat message", { room: "lobby", text: "hello" }));
  report("chat", { ann: await annHears, bob: await bobHears });
  report("not in room", await bob.emitWithAck("chat message", { room: "kitchen", text: "x" }));
  report("too long", await bob.emitWithAck("chat message", { room: "lobby", text: "x".repeat(2001) }));

  const whisper = next(bob, "private message");
  ann.emit("private message", bob.id, "psst");
  report("private", await whisper);

  const online = await (await fetch(`${url}/api/online`)).json();
  report("online", online.map((entry) => entry.username).sort());

  report("bob leaves", await bob.emitWithAck("leave", { room: "lobby" }));
  await bob.emitWithAck("join", { room: "lobby" });
  const left = next(bob, "user has left");
  ann.disconnect();
  report("left", await left);
  bob.disconnect();
});
