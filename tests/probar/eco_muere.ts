// Wrong on purpose, for tests/probar_test.ts: atender(conn) runs without await (many clients at
// once) but its errors are not caught: the read of a client that resets rejects, and that
// uncaught rejection ends the whole server. deno task probar eco: "corte" fails, muere-tras-corte.
// deno run --allow-net eco_muere.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
while (true) {
  const conn = await listener.accept();
  atender(conn); // el error: sin .catch(), un error de un cliente termina todo
}

async function atender(conn: Deno.Conn) {
  const buffer = new Uint8Array(64 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) {
    for (let i = 0; i < n;) i += await conn.write(buffer.subarray(i, n));
  }
  conn.close();
}
