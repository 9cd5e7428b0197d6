// El cliente TCP de la lección. Con el servidor andando, corré:
// deno run --allow-net leccion/client.ts
// El script completo ../client.ts manda varias líneas o lo que escribas, y
// explica cada error en una sola línea.

// Paso 1: nada que importar, los sockets vienen con Deno. Paso 2 (opcional):
// el hostname del servidor; acá, esta misma máquina.
const HOST = "127.0.0.1";
const PORT = Number(Deno.args[0] ?? 21042);
const MENSAJE = "hola desde Deno\n";

// Pasos 3 y 4: Deno.connect crea el socket y lo conecta al servidor (si no
// contesta en 5 segundos, la señal corta la espera).
const signal = AbortSignal.timeout(5000);
const conn = await Deno.connect({ hostname: HOST, port: PORT, signal });
// Paso 5: enviar todo, y closeWrite() (el shutdown(SHUT_WR) de Python): el
// servidor lee "fin" y sabe que terminamos, pero todavía podemos recibir.
await escribirTodo(conn, new TextEncoder().encode(MENSAJE));
conn.closeWrite();
// Paso 5: recibir y mostrar los bytes como llegan (el saludo y el eco), hasta
// que el servidor cierre: entonces read() devuelve null.
const buffer = new Uint8Array(1024);
for (let n; (n = await conn.read(buffer)) !== null;) {
  await escribirTodo(Deno.stdout, buffer.subarray(0, n));
}
conn.close(); // Paso 6: cerrar la conexión con el servidor.

// write() puede mandar sólo una parte: repetimos hasta el final (sendall()).
type Destino = { write(bytes: Uint8Array): Promise<number> };
async function escribirTodo(hacia: Destino, bytes: Uint8Array) {
  for (let i = 0; i < bytes.length;) i += await hacia.write(bytes.subarray(i));
}
