# The lesson's own server, steps 1 to 9, as a student writes it in Python: accept, send one
# message, close; for one client after another. For tests/probar_test.ts (deno task probar saludo
# must pass it): python3 saludo_bien.py PORT
import socket  # 1. importar el módulo socket

import sys

host = "127.0.0.1"  # 2. (la lección usa "": todas las interfaces; las pruebas, solo esta máquina)
port = int(sys.argv[1])  # 3. el puerto (0: cualquiera libre)
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)
while True:
    c, addr = s.accept()  # 7. aceptar la conexión de un cliente
    c.send("Gracias por conectarte\n".encode())  # 8. enviar el mensaje
    c.close()  # 9. cerrar la conexión
