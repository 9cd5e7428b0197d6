// El eco UDP de la lección. En la carpeta de este archivo, corré:
// deno run --unstable-net --allow-net udp_server.ts
// El udp_server.ts completo del kit suma flags, pérdidas adrede, etc.

// Paso 1: nada que importar. Paso 2 (opcional): Deno.hostname(), como en
// server.ts; como la lección, todas las interfaces ("" en Python).
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
while (true) {
  try {
    const [datos, quien] = await socket.receive();
    // Paso 8: devolverle los mismos bytes: el datagrama sale entero o no sale.
    await socket.send(datos, quien);
  } catch (error) {
    // Un error no corta el servidor: lo anotamos y seguimos. En Windows,
    // receive() falla con ConnectionReset si una respuesta anterior no
    // encontró a nadie (ese cliente ya se había ido).
    console.log(`seguimos, tras un error: ${error}`);
  }
}
// Paso 9: close(). Acá no llegamos: Ctrl-C corta el bucle y cierra todo.
