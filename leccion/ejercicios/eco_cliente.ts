// Ejercicio 2, el cliente: manda un mensaje y muestra todo lo que vuelve,
// hasta que el servidor cierra. Anda, pero no siempre muestra todo: arreglá
// el TODO. Con un servidor andando, corré:  deno run --allow-net eco_cliente.ts
// Probá:  deno task probar cliente-eco -- deno run --allow-net eco_cliente.ts

const HOST = "127.0.0.1"; // Paso 2: el servidor: esta máquina (o la IP de otra)
const PORT = Number(Deno.args[0] ?? 21042);
const conn = await Deno.connect({ hostname: HOST, port: PORT }); // Pasos 3 y 4
const mensaje = new TextEncoder().encode("hola desde Deno\n");
for (let i = 0; i < mensaje.length;) i += await conn.write(mensaje.subarray(i));
await conn.closeWrite(); // Paso 5: avisar que terminamos de mandar
const buffer = new Uint8Array(1024);
// TODO paso 5: la respuesta puede llegar en pedazos. Leé y mostrá en un
// bucle, hasta que read() devuelva null (el servidor cerró).
const n = await conn.read(buffer);
if (n !== null) await Deno.stdout.write(buffer.subarray(0, n));
conn.close(); // Paso 6: cerrar la conexión.
