# The lesson's client, steps 1 to 6, as a student writes it in Python: connect, receive until the
# server closes, print, close. For tests/probar_test.ts (deno task probar cliente-saludo must pass
# it): python3 saludo_cliente_bien.py PORT
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. el hostname del servidor: esta máquina
port = int(sys.argv[1])
s = socket.socket()  # 3. crear el objeto socket
s.connect((host, port))  # 4. conectar al servidor
while True:
    data = s.recv(1024)  # 5. recibir, hasta que el servidor cierre
    if not data:
        break
    print(data.decode(), end="")
s.close()  # 6. cerrar la conexión
