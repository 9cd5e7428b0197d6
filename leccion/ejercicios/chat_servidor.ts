// Ejercicio 4 (opcional), el servidor: el chat, el WhatsApp de la lección. Cada
// línea de un miembro les llega a todos los otros. Anda, pero tiene errores:
// probalo, y arreglá cada TODO que señala la prueba que falla.
// Corré (en esta carpeta):  deno run --allow-net chat_servidor.ts
// Probá:  deno task probar chat 127.0.0.1:21042   (en otra terminal)

const HOST = "0.0.0.0"; // Pasos 1 a 3: todas las interfaces; el puerto.
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT }); // Pasos 4 a 6
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
const miembros = new Set<Deno.Conn>(); // todos los que están en la sala
while (true) {
  const conn = await listener.accept(); // Paso 7: aceptar a cada miembro
  atender(conn).catch(console.log);
}

// Paso 8: lo que manda un miembro, a todos los otros.
async function atender(conn: Deno.Conn) {
  miembros.add(conn);
  const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
  const nombre = new TextEncoder().encode(`${hostname}:${port}: `);
  const buffer = new Uint8Array(1024);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      // TODO: una línea puede llegar en varios read(): juntá los bytes hasta
      // el "\n" (el byte 10) y reenviá la línea entera, con el nombre adelante.
      const linea = new Uint8Array([...nombre, ...buffer.subarray(0, n)]);
      for (const otro of miembros) {
        // TODO: si "otro" ya se fue, enviarTodo() falla: atrapá el error
        // (.catch) y sacalo de la sala, así sigue con los demás.
        if (otro !== conn) await enviarTodo(otro, linea);
      }
    }
  } finally {
    miembros.delete(conn);
    conn.close(); // Paso 9: cerrar la conexión con este miembro.
  }
}

async function enviarTodo(conn: Deno.Conn, datos: Uint8Array) {
  for (let i = 0; i < datos.length;) i += await conn.write(datos.subarray(i));
}
