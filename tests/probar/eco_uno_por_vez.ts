// Wrong on purpose, for tests/probar_test.ts: a careful echo, but `await atender(conn)` in the
// accept loop: the next client waits until this one leaves.
// deno task probar eco: "a-la-vez" fails, uno-por-vez. deno run --allow-net eco_uno_por_vez.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
while (true) {
  const conn = await listener.accept().catch(() => undefined);
  // El error: con await, el bucle no vuelve a accept() hasta que este cliente se va.
  if (conn) await atender(conn).catch((error) => console.log(`cliente perdido: ${error}`));
}

async function atender(conn: Deno.Conn) {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      for (let i = 0; i < n;) i += await conn.write(buffer.subarray(i, n));
    }
  } finally {
    conn.close();
  }
}
