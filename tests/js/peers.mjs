// Three clients: the private-message example of the Socket.IO docs, rooms and broadcasts.
import { client, connect, main, next, record, report } from "./lib.mjs";

main(async () => {
  const sockets = {
    alice: client({ auth: { token: "alice-token" } }),
    bob: client({ auth: { token: "bob-token" } }),
    carol: client({ auth: { token: "carol-token" } }),
  };
  const { alice, bob, carol } = sockets;
  const logs = Object.fromEntries(Object.entries(sockets).map(([n, s]) => [n, record(s)]));
  await Promise.all(Object.values(sockets).map(connect));
  report("ids", { alice: alice.id, bob: bob.id, carol: carol.id });

  const toBob = next(bob, "private message");
  alice.emit("private message", bob.id, "hi bob");
  report("bob_private", await toBob);
  const toAlice = next(alice, "private message");
  bob.emit("private message", alice.id, "hi alice");
  report("alice_private", await toAlice);

  report("alice_join_red", await alice.emitWithAck("join", { room: "red" }));
  report("bob_join_red", await bob.emitWithAck("join", { room: "red" }));
  report("carol_join_blue", await carol.emitWithAck("join", { room: "blue" }));
  const rooms = {};
  for (const [name, socket] of Object.entries(sockets)) {
    rooms[name] = (await socket.emitWithAck("whoami")).rooms;
  }
  report("rooms", rooms);

  report("announce_red", await carol.emitWithAck("announce", "to red", "red"));
  report("announce_all", await alice.emitWithAck("announce", "to all"));
  report("relay_red", await alice.emitWithAck("relay", "red", "from alice"));
  const toBlue = next(carol, "private message");
  alice.emit("private message", "blue", "to blue");
  await toBlue;

  // Each client's own round trip comes after everything the server sent it before.
  await Promise.all(Object.values(sockets).map((socket) => socket.emitWithAck("whoami")));
  report("received", logs);
  for (const socket of Object.values(sockets)) socket.disconnect();
});
