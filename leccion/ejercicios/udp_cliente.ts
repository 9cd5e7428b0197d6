// Ejercicio 3, el cliente: manda un datagrama y muestra la respuesta. Anda,
// pero si la respuesta se pierde espera para siempre: arreglá el TODO.
// Con un servidor andando, corré:  deno run --allow-net udp_cliente.ts
// Probá:  deno task probar cliente-udp -- deno run --allow-net udp_cliente.ts

const HOST = "127.0.0.1"; // Paso 2: el servidor: esta máquina (o la IP de otra)
const PORT = Number(Deno.args[0] ?? 21042);
// Paso 3: el socket UDP, en un puerto libre cualquiera (el 0).
const socket = Deno.listenDatagram({
  transport: "udp",
  hostname: "0.0.0.0",
  port: 0,
});
// Paso 4: no hay connect(): cada send() lleva la dirección del servidor.
const servidor = { transport: "udp" as const, hostname: HOST, port: PORT };
await socket.send(new TextEncoder().encode("hola desde Deno"), servidor);
// TODO paso 5: UDP no avisa si algo se pierde. Esperá con un plazo: que gane
// lo que llegue primero, la respuesta o un setTimeout (Promise.race).
const [respuesta] = await socket.receive();
console.log(new TextDecoder().decode(respuesta));
socket.close(); // Paso 6: cerrar el socket.
