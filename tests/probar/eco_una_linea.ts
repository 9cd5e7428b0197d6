// Wrong on purpose, for tests/probar_test.ts: it reads one line (up to its "\n"), sends it back
// and closes: one message per connection. deno task probar eco: "entero" fails, solo-un-mensaje.
// deno run --allow-net eco_una_linea.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
while (true) {
  const conn = await listener.accept().catch(() => undefined);
  if (conn) atender(conn).catch((error) => console.log(`cliente perdido: ${error}`));
}

async function atender(conn: Deno.Conn) {
  const buffer = new Uint8Array(1024);
  let linea = new Uint8Array(0);
  try {
    // El error: lee un solo mensaje (hasta el "\n"), lo devuelve y cierra.
    while (!linea.includes(10)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      linea = new Uint8Array([...linea, ...buffer.subarray(0, n)]);
    }
    for (let i = 0; i < linea.length;) i += await conn.write(linea.subarray(i));
  } finally {
    conn.close();
  }
}
