// El cliente TCP de la lección. Con el servidor andando, en su carpeta:
// deno run --allow-net client.ts   (el client.ts completo del kit hace más)
// Paso 1: nada que importar. Paso 2 (opcional): la lección busca el nombre de
// esta máquina con gethostname(); en Deno, Deno.hostname(). Acá usamos una
// IP: 127.0.0.1 es esta misma máquina; para otra computadora, poné la suya.
const HOST = "127.0.0.1";
const PORT = Number(Deno.args[0] ?? 21042);
const MENSAJE = "hola desde Deno\n";

// Pasos 3 y 4: Deno.connect crea el socket y lo conecta al servidor (si no
// contesta en 5 segundos, la señal corta la espera).
const signal = AbortSignal.timeout(5000);
const conn = await Deno.connect({ hostname: HOST, port: PORT, signal });
// Paso 5: enviar todo (write() puede mandar una parte: repetimos, como el
// sendall() de Python) y closeWrite(), el shutdown(SHUT_WR): el servidor lee
// "fin" y sabe que terminamos, pero todavía podemos recibir.
const datos = new TextEncoder().encode(MENSAJE);
let i = 0;
while (i < datos.length) i += await conn.write(datos.subarray(i));
conn.closeWrite();
// Paso 5: recibir y mostrar lo que llega (el saludo y el eco), hasta que el
// servidor cierre: entonces read() devuelve null.
const pantalla = Deno.stdout.writable.getWriter(); // write() escribe todo
const buffer = new Uint8Array(1024);
while (true) {
  const n = await conn.read(buffer); // el recv() de Python
  if (n === null) break;
  await pantalla.write(buffer.slice(0, n));
}
conn.close(); // Paso 6: cerrar la conexión con el servidor.
