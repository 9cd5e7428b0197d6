// Ejercicio 1, el servidor: el de la lección, pasos 1 a 9. Completá cada TODO.
// Corré (en esta carpeta):  deno run --allow-net saludo_servidor.ts
// Probá:  deno task probar saludo 127.0.0.1:21042   (en otra terminal)

// Pasos 1 a 3: nada que importar; todas las interfaces; el puerto.
const HOST = "0.0.0.0";
const PORT = Number(Deno.args[0] ?? 21042);

// Pasos 4, 5 y 6: Deno.listen crea el socket, lo bindea y se pone a escuchar.
const listener = Deno.listen({ hostname: HOST, port: PORT });
console.log(`escuchando en ${HOST}:${listener.addr.port}`);
while (true) { // un cliente después de otro
  const conn = await listener.accept(); // Paso 7: aceptar un cliente
  console.log("conexión de", conn.remoteAddr);
  // TODO paso 8: mandale un mensaje con conn.write(bytes). Los bytes de un
  // texto: new TextEncoder().encode("..."). write() devuelve cuántos mandó.
  // TODO paso 9: cerrá la conexión con este cliente.
}
