// Wrong on purpose, for tests/probar_test.ts: it turns the bytes into text to show them, and
// sends the text back encoded again. Its decoder keeps a character split across reads (stream:
// true), but bytes that are not UTF-8 come back as U+FFFD.
// deno task probar eco: "bytes" fails, no-utf8. deno run --allow-net eco_texto.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
while (true) {
  const conn = await listener.accept().catch(() => undefined);
  if (conn) atender(conn).catch((error) => console.log(`cliente perdido: ${error}`));
}

async function atender(conn: Deno.Conn) {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      const texto = decoder.decode(buffer.subarray(0, n), { stream: true });
      console.log(`recibí: ${texto}`);
      const datos = encoder.encode(texto); // el error: devuelve el texto, no los bytes
      for (let i = 0; i < datos.length;) i += await conn.write(datos.subarray(i));
    }
  } finally {
    conn.close();
  }
}
