// El cliente UDP de la lección. Con el servidor andando, en su carpeta:
// deno run --unstable-net --allow-net udp_client.ts
// Paso 1: nada que importar. Paso 2 (opcional): ver client.ts.
const HOST = "127.0.0.1"; // la IP del servidor (una IP, no un nombre)
const PORT = Number(Deno.args[0] ?? 21042);
// Paso 3: crear el socket UDP, en un puerto libre cualquiera (el 0).
const socket = Deno.listenDatagram({
  transport: "udp",
  hostname: "0.0.0.0",
  port: 0,
});
// Paso 4: Python puede hacer connect() (en UDP solo fija el destino); Deno
// no: cada send() lleva la dirección del servidor.
const datos = new TextEncoder().encode("hola desde Deno");
await socket.send(datos, { transport: "udp", hostname: HOST, port: PORT });
// Paso 5: recibir con plazo, como settimeout(2): a los 2 segundos un reloj
// cierra el socket y receive() falla. Solo vale lo que mande el servidor.
const reloj = setTimeout(() => socket.close(), 2000);
try {
  while (true) {
    const [respuesta, quien] = await socket.receive();
    const { hostname, port } = quien as Deno.NetAddr;
    if (hostname !== HOST || port !== PORT) continue; // otro: lo ignoramos
    console.log(new TextDecoder().decode(respuesta));
    break;
  }
} catch (error) {
  // Si no lo cerró el reloj, decimos qué pasó (Windows: ConnectionReset).
  const vencio = error instanceof Deno.errors.Interrupted;
  const que = vencio ? "no llegó respuesta en 2 segundos" : String(error);
  console.error(`udp_client.ts: ${que}`);
  Deno.exit(1);
}
clearTimeout(reloj);
socket.close(); // Paso 6: cerrar el socket.
