// A burst of connections at once: every one must be served or refused with a
// connect_error, none left hanging. One in ten presents a token the server refuses.
import { client, connect, main, report } from "./lib.mjs";

const COUNT = Number(process.env.FLOOD_CONNECTIONS ?? 1000);

async function attempt(index) {
  const token = index % 10 === 0 ? "bad" : `user-${index}`;
  const socket = client({ auth: { token }, timeout: 12000 });
  try {
    await connect(socket);
  } catch (error) {
    return { outcome: "refused", message: error.message };
  }
  const echoed = await socket.timeout(12000).emitWithAck("echo", index);
  socket.disconnect();
  return { outcome: echoed === index ? "served" : "wrong echo", message: null };
}

main(async () => {
  const started = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: COUNT }, (_, i) => attempt(i)));
  const outcomes = {};
  for (const result of settled) {
    const key =
      result.status === "fulfilled"
        ? `${result.value.outcome}${result.value.message ? `: ${result.value.message}` : ""}`
        : `failed: ${result.reason?.message ?? result.reason}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  report("outcomes", outcomes);
  report("seconds", (performance.now() - started) / 1000);
});
