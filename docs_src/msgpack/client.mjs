// --8<-- [start:client]
import { io } from "socket.io-client";
import parser from "socket.io-msgpack-parser"; // CommonJS: require("socket.io-msgpack-parser")

const socket = io(process.argv[2] ?? "http://localhost:8000", { parser });

const pixels = new Uint8Array([137, 80, 78, 71]).buffer; // an ArrayBuffer, or a Buffer in Node
const stored = await socket.emitWithAck("upload", {
  name: "cat.png",
  data: pixels,
  width: 1,
  height: 1,
});
console.log(stored); // { name: 'cat.png', size: 4 }

const refused = await socket.emitWithAck("upload", { name: "", data: pixels, width: 1.5 });
console.log(refused.error.details.map((detail) => detail.loc.join("."))); // validated as with JSON
socket.disconnect();
// --8<-- [end:client]
