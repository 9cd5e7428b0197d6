// Ejercicio 4 (opcional), el cliente del chat: manda lo que escribís y, al
// mismo tiempo, muestra lo que escriben los otros. Completá el TODO.
// Corré (en esta carpeta):  deno run --allow-net chat_cliente.ts
// (Ctrl-D, o Ctrl-Z y Enter en Windows, sale de la sala)

// Paso 2: el servidor del chat: esta máquina, o la IP de quien lo corre.
const HOST = "127.0.0.1";
const PORT = Number(Deno.args[0] ?? 21042);
const conn = await Deno.connect({ hostname: HOST, port: PORT }); // Pasos 3 y 4

// Paso 5: recibir, sin esperar a que termines de escribir (sin await).
mostrar().catch(console.log);
async function mostrar() {
  const buffer = new Uint8Array(1024);
  // TODO: leé en un bucle y mostrá cada pedazo con Deno.stdout.write();
  // cuando read() devuelva null, el servidor cerró.
  const n = await conn.read(buffer);
  if (n !== null) await Deno.stdout.write(buffer.subarray(0, n));
}

// Paso 5: enviar lo que escribís, a medida que lo escribís.
for await (const pedazo of Deno.stdin.readable) {
  for (let i = 0; i < pedazo.length;) i += await conn.write(pedazo.subarray(i));
}
conn.close(); // Paso 6: cerrar la conexión.
