// socket.io-client with socket.io-msgpack-parser: connect, events and acks both ways,
// validation, binary, JavaScript's undefined and Date, broadcasts, namespaces, refusal
// and a server-side disconnect.
import { io } from "socket.io-client";
import parser from "socket.io-msgpack-parser";

import { client, connect, main, next, report, transport, url } from "./lib.mjs";

/** Bytes as a plain array, with whether they arrived as a Buffer. */
function bytes(value) {
  return { buffer: Buffer.isBuffer(value), bytes: Array.from(value) };
}

main(async () => {
  const ann = client({ parser, auth: { token: "ann", dropped: undefined, since: new Date(0) } });
  ann.on("question", (number, answer) => answer(number * 2));
  await connect(ann);
  report("auth", await ann.emitWithAck("auth"));

  report("join", await ann.emitWithAck("join", { room: "garden" }));
  report("invalid", await ann.emitWithAck("join", { room: 42 }));
  report("missing", await ann.emitWithAck("join"));
  report("types", await ann.emitWithAck("types", 1, 1.5, 2 ** 40, -7, true, null, "é"));
  report("undefined", await ann.emitWithAck("echo", 1, undefined, { kept: 2, gone: undefined }));
  report("date", await ann.emitWithAck("echo", new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250))));
  report("non_finite", await ann.emitWithAck("types", NaN, -Infinity));

  const [buffer, arrayBuffer, view, eight, one] = await ann.emitWithAck(
    "echo",
    Buffer.from([1, 2, 3]),
    new Uint8Array([4, 5, 6, 7]).buffer,
    new Uint8Array([8, 9]),
    new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer,
    new Uint8Array([0]).buffer,
  );
  report("binary", [buffer, arrayBuffer, view, eight, one].map(bytes));
  const [nested] = await ann.emitWithAck("echo", { file: { raw: Buffer.from([255]) } });
  report("nested_binary", bytes(nested.file.raw));
  report("server_asks", await ann.emitWithAck("ask", 21));

  const bob = client({ parser });
  await connect(bob);
  await bob.emitWithAck("join", { room: "garden" });
  const heardByAnn = next(ann, "news");
  const heardByBob = next(bob, "news");
  report("shout", await bob.emitWithAck("shout", { room: "garden", text: "hello", blob: Buffer.from([7]) }));
  const [annNews, bobNews] = await Promise.all([heardByAnn, heardByBob]);
  report("news", [annNews[0].text, bytes(annNews[0].blob), bobNews[0].text]);

  const admin = io(`${url}/admin`, { parser, transports: [transport], forceNew: true });
  await new Promise((resolve, reject) => {
    admin.once("connect", resolve);
    admin.once("connect_error", reject);
  });
  report("namespace", await admin.emitWithAck("where"));
  admin.disconnect();

  const refused = client({ parser, auth: { token: "nobody" } });
  try {
    await connect(refused);
    report("refused", "connected");
  } catch (error) {
    report("refused", { message: error.message, data: error.data });
  }

  const gone = next(bob, "disconnect");
  bob.emit("leave me");
  report("server_disconnect", (await gone)[0]);
  ann.disconnect();
});
