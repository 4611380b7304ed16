// Connection state recovery with socket.io-client's defaults: the transport of one
// client drops, the others go on talking, the client comes back and is recovered.
import { client, connect, main, next, report } from "./lib.mjs";

function waitFor(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

main(async () => {
  const ann = client({ reconnection: true, reconnectionDelay: 400, reconnectionDelayMax: 400 });
  const bob = client();
  const heard = [];
  ann.on("news", (text, offset) => heard.push([text, typeof offset]));
  ann.on("private", (text) => heard.push(["private " + text, "string"]));
  await connect(ann);
  await connect(bob);
  const annId = ann.id;
  await ann.emitWithAck("join", "lobby");
  await ann.emitWithAck("remember", "colour", "blue");
  const before = next(ann, "news");
  await bob.emitWithAck("say", "lobby", "before");
  await before;
  report("first", { recovered: ann.recovered });

  const left = waitFor(ann, "disconnect");
  ann.io.engine.close(); // the transport drops, as on a network blip
  report("left", (await left)[0]);
  for (const text of ["while away 1", "while away 2", "while away 3"]) {
    await bob.emitWithAck("say", "lobby", text);
  }
  await bob.emitWithAck("whisper", annId, "psst");
  await bob.emitWithAck("shout volatile", "lobby", "lost on purpose");
  await bob.emitWithAck("say", "elsewhere", "not for ann");

  await waitFor(ann, "connect");
  report("back", { recovered: ann.recovered, sameId: ann.id === annId });
  report("status", await ann.emitWithAck("status"));
  const after = next(ann, "news");
  await bob.emitWithAck("say", "lobby", "after");
  await after;
  report("heard", heard);
  ann.disconnect();
  bob.disconnect();
});
