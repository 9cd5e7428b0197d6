// Wrong on purpose, for tests/probar_test.ts: one conn.write() per read, its count ignored. To a
// client that reads slowly, write() takes only part, and the rest is lost.
// deno task probar eco: "mucho" fails, send-ignorado. deno run --allow-net eco_write_una_vez.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
while (true) {
  const conn = await listener.accept().catch(() => undefined);
  if (conn) atender(conn).catch((error) => console.log(`cliente perdido: ${error}`));
}

async function atender(conn: Deno.Conn) {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      await conn.write(buffer.subarray(0, n)); // el error: no mira cuántos bytes salieron
    }
  } finally {
    conn.close();
  }
}
