// Connection state recovery with socket.io-msgpack-parser: the transport of one client
// drops, binary events it missed are replayed when it comes back, in order, once each.
import parser from "socket.io-msgpack-parser";

import { client, connect, main, next, report } from "./lib.mjs";

function waitFor(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

main(async () => {
  const ann = client({
    parser,
    reconnection: true,
    reconnectionDelay: 400,
    reconnectionDelayMax: 400,
  });
  const bob = client({ parser });
  const heard = [];
  ann.on("news", (news, offset) => heard.push([news.text, Array.from(news.blob), typeof offset]));
  await connect(ann);
  await connect(bob);
  const annId = ann.id;
  await ann.emitWithAck("join", { room: "lobby" });
  const before = next(ann, "news");
  await bob.emitWithAck("shout", { room: "lobby", text: "before", blob: Buffer.from([0]) });
  await before;

  const left = waitFor(ann, "disconnect");
  ann.io.engine.close(); // the transport drops, as on a network blip
  report("left", (await left)[0]);
  for (const [index, text] of ["away 1", "away 2", "away 3"].entries()) {
    await bob.emitWithAck("shout", { room: "lobby", text, blob: Buffer.from([index + 1, 255]) });
  }

  await waitFor(ann, "connect");
  report("back", { recovered: ann.recovered, sameId: ann.id === annId });
  const after = next(ann, "news");
  await bob.emitWithAck("shout", { room: "lobby", text: "after", blob: Buffer.from([9]) });
  await after;
  report("heard", heard);
  ann.disconnect();
  bob.disconnect();
});
