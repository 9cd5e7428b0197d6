// El eco TCP de la lección. Corré: deno run --allow-net leccion/server.ts
// El script completo ../server.ts maneja flags, líneas largas, Ctrl-C, etc.

// Paso 1: nada que importar, los sockets vienen con Deno. Paso 2 (opcional):
// gethostname(); como la lección, todas las interfaces ("" en Python).
const HOST = "0.0.0.0";
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

// Paso 8: saludo y eco. TCP no marca mensajes: devolvemos cada pedazo como
// llega, sin esperar el "\n". write() puede mandar sólo una parte: repetimos.
async function atender(conn: Deno.Conn) {
  const enviarTodo = async (datos: Uint8Array) => {
    for (let i = 0; i < datos.length;) i += await conn.write(datos.subarray(i));
  };
  try {
    await enviarTodo(new TextEncoder().encode(SALUDO));
    const buffer = new Uint8Array(64 * 1024);
    for (let n; (n = await conn.read(buffer)) !== null;) {
      await enviarTodo(buffer.subarray(0, n));
    }
  } finally {
    conn.close(); // Paso 9: cerrar la conexión con este cliente.
  }
}
