// Wrong on purpose, for tests/probar_test.ts: the lesson's client with one read() taken as the
// whole message: it prints only the first piece. deno task probar cliente-saludo: "imprime-todo"
// fails, un-recv-cliente. deno run --allow-net saludo_cliente_un_recv.ts PORT
const HOST = "127.0.0.1";
const PORT = Number(Deno.args[0] ?? 21042);
const conn = await Deno.connect({ hostname: HOST, port: PORT }); // Pasos 3 y 4
const buffer = new Uint8Array(1024);
const n = await conn.read(buffer); // el error: una sola lectura
await Deno.stdout.write(buffer.subarray(0, n ?? 0)); // Paso 5: mostrar lo recibido
conn.close(); // Paso 6
