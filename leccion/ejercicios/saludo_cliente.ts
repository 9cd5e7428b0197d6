// Ejercicio 1, el cliente: el de la lección, pasos 1 a 6. Completá el TODO.
// Con un servidor andando, corré:  deno run --allow-net saludo_cliente.ts
// Probá:  deno task probar cliente-saludo -- deno run --allow-net saludo_cliente.ts

const HOST = "127.0.0.1"; // Paso 2: el servidor: esta máquina (o la IP de otra)
const PORT = Number(Deno.args[0] ?? 21042);

// Pasos 3 y 4: Deno.connect crea el socket y lo conecta.
const conn = await Deno.connect({ hostname: HOST, port: PORT });
const buffer = new Uint8Array(1024);
// Paso 5: recibir y mostrar.
// TODO paso 5: un read() trae lo que llegó hasta ahora, que puede ser solo
// una parte: repetí hasta que read() devuelva null (el servidor cerró).
const n = await conn.read(buffer);
if (n !== null) await Deno.stdout.write(buffer.subarray(0, n));
conn.close(); // Paso 6: cerrar la conexión.
