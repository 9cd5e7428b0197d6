// Wrong on purpose, for tests/probar_test.ts: it sends the message and forgets to close the
// connection: the client never learns that the message is over.
// deno task probar saludo: "saludo" fails, saludo-no-cierra. deno run --allow-net saludo_no_cierra.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
const MENSAJE = new TextEncoder().encode("Gracias por conectarte\n");
while (true) {
  const conn = await listener.accept(); // Paso 7: aceptar
  await conn.write(MENSAJE).catch(() => 0); // Paso 8: enviar
  // el error: falta conn.close() (paso 9)
}
