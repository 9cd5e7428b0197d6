// El eco UDP de la lección. Corré: deno run --allow-net leccion/udp_server.ts
// (fuera de este repo, cuyo deno.json lo pone, sumá --unstable-net).
// El script completo ../udp_server.ts maneja flags, pérdidas adrede, etc.

// Paso 1: nada que importar, los sockets vienen con Deno. Paso 2 (opcional):
// gethostname(); como la lección, todas las interfaces ("" en Python).
const HOST = "0.0.0.0";
// Paso 3: el puerto, mayor que 1024 (un argumento lo cambia; 0: uno libre).
const PORT = Number(Deno.args[0] ?? 21042);

// Pasos 4 y 5: Deno.listenDatagram crea el socket UDP y lo bindea.
const socket = Deno.listenDatagram({
  transport: "udp",
  hostname: HOST,
  port: PORT,
});
const { port } = socket.addr as Deno.NetAddr;
console.log(`escuchando en ${HOST}:${port}`);
// Pasos 6 y 7: no hay listen() ni accept(): UDP no tiene conexiones. Cada
// datagrama llega entero, con la dirección de quien lo mandó.
for await (const [datos, quien] of socket) {
  // Paso 8: devolverle los mismos bytes. Un datagrama es un mensaje: sale
  // entero o no sale. Si falla, lo anotamos y seguimos con el próximo.
  try {
    await socket.send(datos, quien);
  } catch (error) {
    console.log(`no salió la respuesta: ${error}`);
  }
}
// Paso 9: cerrar el socket. Acá no llegamos: con Ctrl-C lo cierra el sistema.
socket.close();
