// Wrong on purpose, for tests/probar_test.ts: the echo loop ends when the client closes, but the
// connection is never closed: the client waits for ever.
// deno task probar eco: "cierre" fails, no-cierra. deno run --allow-net eco_no_cierra.ts PORT
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
  for (let n; (n = await conn.read(buffer)) !== null;) {
    for (let i = 0; i < n;) i += await conn.write(buffer.subarray(i, n));
  }
  // el error: falta conn.close() (paso 9)
}
