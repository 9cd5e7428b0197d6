// Ejercicio 3, el servidor: un eco UDP. Cada datagrama vuelve entero a quien
// lo mandó. Anda, pero corta los datagramas largos: arreglá el TODO.
// Corré (en esta carpeta):  deno run --allow-net udp_servidor.ts
// Probá:  deno task probar udp 127.0.0.1:21042   (en otra terminal)
// (Fuera de este proyecto, cuyo deno.json lo pone, sumá --unstable-net.)

const HOST = "0.0.0.0"; // Pasos 1 a 3: todas las interfaces; el puerto.
const PORT = Number(Deno.args[0] ?? 21042);
// Pasos 4 y 5: Deno.listenDatagram crea el socket UDP y lo bindea.
const socket = Deno.listenDatagram({
  transport: "udp",
  hostname: HOST,
  port: PORT,
});
console.log(`escuchando en ${HOST}:${(socket.addr as Deno.NetAddr).port}`);
// Pasos 6 y 7: no hay listen() ni accept(): cada datagrama trae quién lo mandó.
while (true) {
  // TODO paso 7: un datagrama lleva hasta 65507 bytes, y lo que no entra en
  // el buffer se pierde sin aviso. receive() sin buffer usa uno que alcanza.
  const [datos, quien] = await socket.receive(new Uint8Array(1024));
  await socket.send(datos, quien).catch(console.log); // Paso 8: devolverlo
}
