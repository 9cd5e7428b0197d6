// A connect storm for the Ctrl-C scenario, in its own process so that the driver's load does not
// slow it down: WIDTH connectors open connections to 127.0.0.1:PORT without pause, and hold each
// one until the server ends it. It stops when the server refuses connections (it has stopped
// listening), or after MAX connections or MAX_MS, waits for every held connection to end, and
// prints how many it opened. Run: deno run --allow-net=127.0.0.1 stress/connect_storm.ts PORT WIDTH
const [port, width] = Deno.args.map(Number);
const MAX = 20_000, MAX_MS = 30_000;
const started = Date.now();
let opened = 0;
const held: Promise<void>[] = [];

async function holdUntilEnd(conn: Deno.Conn) {
  const buffer = new Uint8Array(1024);
  try {
    while (await conn.read(buffer) !== null) { /* the greeting, then the end */ }
  } catch { /* a reset is an end too */ }
  conn.close();
}

await Promise.all(Array.from({ length: width }, async () => {
  while (opened < MAX && Date.now() - started < MAX_MS) {
    let conn: Deno.Conn;
    try {
      // A full backlog drops our SYN and the kernel tries again 1 s, then 2 s later: give up after
      // 2 s, so that a connect begun just before the server went away cannot outlast the scenario.
      conn = await Deno.connect({ hostname: "127.0.0.1", port, signal: AbortSignal.timeout(2000) });
    } catch {
      return; // refused (the server is gone), or no answer in 2 s
    }
    opened++;
    held.push(holdUntilEnd(conn));
  }
}));
await Promise.all(held);
console.log(`opened ${opened}`);
