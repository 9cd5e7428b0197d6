// El cliente UDP de la lección. Con el servidor andando, corré:
// deno run --allow-net leccion/udp_client.ts   (fuera de este repo, cuyo
// deno.json lo pone, sumá --unstable-net). El script completo
// ../udp_client.ts reintenta, manda varias líneas y explica cada error.

// Paso 1: nada que importar, los sockets vienen con Deno. Paso 2 (opcional):
// el hostname del servidor; acá, esta misma máquina.
const HOST = "127.0.0.1";
const PORT = Number(Deno.args[0] ?? 21042);
const MENSAJE = "hola desde Deno";

// Paso 3: crear el socket UDP, en un puerto libre cualquiera (el 0).
const socket = Deno.listenDatagram({
  transport: "udp",
  hostname: "0.0.0.0",
  port: 0,
});
// Paso 4: no hay connect(): cada send() lleva la dirección del servidor.
const servidor = { transport: "udp" as const, hostname: HOST, port: PORT };
// Paso 5: enviar un datagrama y esperar la respuesta, pero no para siempre:
// si se pierde, UDP no avisa. Gana lo que llegue primero, respuesta o plazo.
await socket.send(new TextEncoder().encode(MENSAJE), servidor);
const plazo = Promise.withResolvers<null>();
const reloj = setTimeout(() => plazo.resolve(null), 2000);
const recibido = socket.receive().catch(() => null);
const respuesta = await Promise.race([recibido, plazo.promise]);
clearTimeout(reloj);
// Paso 6: cerrar el socket (un receive() que seguía esperando falla: catch).
socket.close();
if (respuesta === null) {
  console.error("udp_client.ts: no llegó respuesta en 2 segundos");
  Deno.exit(1);
}
console.log(new TextDecoder().decode(respuesta[0]));
