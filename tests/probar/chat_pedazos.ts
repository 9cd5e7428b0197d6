// Wrong on purpose, for tests/probar_test.ts: a chat room that relays each read as it comes, with
// the sender's name in front: a line that arrives in pieces goes out as several broken lines.
// deno task probar chat: "chat-pedazos" fails, linea-partida. deno run --allow-net chat_pedazos.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
const miembros = new Set<Deno.Conn>();
while (true) {
  const conn = await listener.accept().catch(() => undefined);
  if (conn) atender(conn).catch((error) => console.log(`miembro perdido: ${error}`));
}

async function enviarTodo(conn: Deno.Conn, datos: Uint8Array) {
  for (let i = 0; i < datos.length;) i += await conn.write(datos.subarray(i));
}

async function atender(conn: Deno.Conn) {
  miembros.add(conn);
  const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
  const nombre = new TextEncoder().encode(`${hostname}:${port}: `);
  const buffer = new Uint8Array(1024);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      // el error: cada pedazo sale como si fuera una línea entera, con el nombre adelante
      const datos = new Uint8Array([...nombre, ...buffer.subarray(0, n)]);
      for (const otro of miembros) {
        if (otro !== conn) await enviarTodo(otro, datos).catch(() => miembros.delete(otro));
      }
    }
  } finally {
    miembros.delete(conn);
    conn.close();
  }
}
