# Ejercicio 1, el servidor: el de la lección, pasos 1 a 9. Completá cada TODO.
# Corré (en esta carpeta):  python3 saludo_servidor.py
# Probá:  deno task probar saludo 127.0.0.1:21042   (en otra terminal)
import socket  # 1. importar el módulo socket
import sys

host = ""  # 2. "": todas las interfaces (otras computadoras pueden conectarse)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042  # 3. el puerto
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # reusar el puerto ya
s.bind(...)  # TODO paso 5: asociá el socket a (host, port)
s.listen(...)  # TODO paso 6: modo listening (¿cuántas conexiones en cola?)
print(f"escuchando en 0.0.0.0:{s.getsockname()[1]}", flush=True)
while True:  # un cliente después de otro
    c, addr = ...  # TODO paso 7: aceptá un cliente con accept()
    print("conexión de", addr, flush=True)
    # TODO paso 8: mandale un mensaje; send() lleva bytes: "...".encode()
    # TODO paso 9: cerrá la conexión con ese cliente
