// Ejercicio 2, el servidor: un eco. Devuelve cada byte que manda cada cliente,
// a muchos clientes a la vez, hasta que el cliente cierra. Anda, pero tiene
// errores: probalo, y arreglá cada TODO que señala la prueba que falla.
// Corré (en esta carpeta):  deno run --allow-net eco_servidor.ts
// Probá:  deno task probar eco 127.0.0.1:21042   (en otra terminal)

const HOST = "0.0.0.0"; // Pasos 1 a 3: todas las interfaces; el puerto.
const PORT = Number(Deno.args[0] ?? 21042);
// Pasos 4, 5 y 6: Deno.listen crea el socket, lo bindea y se pone a escuchar.
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
while (true) {
  const conn = await listener.accept(); // Paso 7: aceptar
  // TODO paso 7: sin await, el bucle vuelve enseguida a accept() y atiende a
  // varios a la vez; con .catch(), el error de un cliente no lo termina.
  await atender(conn);
}

async function atender(conn: Deno.Conn) {
  const buffer = new Uint8Array(64 * 1024);
  // TODO paso 8: un read() trae solo lo que llegó hasta ahora. Repetí leer y
  // devolver hasta que read() devuelva null (el cliente cerró).
  const n = await conn.read(buffer);
  if (n !== null) {
    // TODO paso 8: write() puede mandar solo una parte (devuelve cuántos
    // bytes mandó): repetí hasta mandar todo, como sendall() en Python.
    await conn.write(buffer.subarray(0, n));
  }
  conn.close(); // Paso 9: cerrar la conexión (TODO: pase lo que pase).
}
