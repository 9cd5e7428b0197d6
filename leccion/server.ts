// El eco TCP de la lección. En su carpeta: deno run --allow-net server.ts
// Paso 1: nada que importar. Paso 2 (opcional): el gethostname() de Python
// (el nombre de esta máquina) es Deno.hostname(); acá no hace falta:
const HOST = "0.0.0.0"; // todas las interfaces, como el "" de la lección
const PORT = Number(Deno.args[0] ?? 21042); // Paso 3: el puerto, > 1024
const SALUDO = "bienvenido: cada línea que mandes vuelve a vos\n";
// Pasos 4, 5 y 6: Deno.listen crea el socket, lo bindea y se pone a escuchar.
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
// Paso 7: aceptar. Si un cliente falla (aun antes de aceptarlo), seguimos.
const anotar = (e: Error) => console.log(`cliente perdido: ${e}`);
while (true) {
  const conn = await listener.accept().catch(anotar);
  if (conn) atender(conn).catch(anotar);
}
// Paso 8: saludo y eco de cada pedazo, como llega (TCP no marca mensajes).
async function atender(conn: Deno.TcpConn) {
  console.log(`llegó ${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`);
  try {
    await enviarTodo(conn, new TextEncoder().encode(SALUDO));
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buffer); // el recv(); null: el cliente cerró
      if (n === null) break;
      await enviarTodo(conn, buffer.subarray(0, n));
    }
  } finally {
    conn.close(); // Paso 9: cerrar la conexión con este cliente.
    console.log(`se fue ${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`);
  }
}
async function enviarTodo(conn: Deno.TcpConn, datos: Uint8Array) {
  let i = 0; // write() puede mandar una parte: repetimos (el sendall())
  while (i < datos.length) i += await conn.write(datos.subarray(i));
}
