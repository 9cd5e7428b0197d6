// Wrong on purpose, for tests/probar_test.ts: an echo client whose loop never ends: read() returns
// null once the server closes, and the loop goes on reading nothing.
// deno task probar cliente-eco: "termina" fails, no-termina.
// deno run --allow-net cliente_no_termina.ts PORT
const HOST = "127.0.0.1";
const PORT = Number(Deno.args[0] ?? 21042);
const conn = await Deno.connect({ hostname: HOST, port: PORT }); // Pasos 3 y 4
await conn.write(new TextEncoder().encode("hola desde Deno\n")); // Paso 5: enviar
const buffer = new Uint8Array(1024);
while (true) {
  const n = await conn.read(buffer); // el error: null (el servidor cerró) no corta el bucle
  await Deno.stdout.write(buffer.subarray(0, n ?? 0));
}
