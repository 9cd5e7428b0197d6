// Wrong on purpose, for tests/probar_test.ts: a UDP echo that receives into a 1024-byte buffer:
// a longer datagram is cut, silently. deno task probar udp: "udp-grande" fails, datagrama-cortado.
// deno run --allow-net --unstable-net udp_buffer_chico.ts PORT
const HOST = "127.0.0.1"; // las pruebas escuchan solo en esta máquina
const PORT = Number(Deno.args[0] ?? 21042);
const socket = Deno.listenDatagram({ transport: "udp", hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${(socket.addr as Deno.NetAddr).port}`);
while (true) {
  const [datos, quien] = await socket.receive(new Uint8Array(1024)); // el error: 1024 bytes
  await socket.send(datos, quien).catch(() => 0); // Paso 8: devolverlo a quien lo mandó
}
