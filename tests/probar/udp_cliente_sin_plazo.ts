// Wrong on purpose, for tests/probar_test.ts: a UDP client that awaits receive() with no time
// limit: if the reply is lost, it waits for ever. deno task probar cliente-udp: "udp-plazo"
// fails, espera-para-siempre. deno run --allow-net --unstable-net udp_cliente_sin_plazo.ts PORT
const HOST = "127.0.0.1";
const PORT = Number(Deno.args[0] ?? 21042);
const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const servidor = { transport: "udp" as const, hostname: HOST, port: PORT };
await socket.send(new TextEncoder().encode("hola desde Deno"), servidor); // Paso 5
const [respuesta] = await socket.receive(); // el error: sin plazo
socket.close(); // Paso 6
console.log(new TextDecoder().decode(respuesta));
