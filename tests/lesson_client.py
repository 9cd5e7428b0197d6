# The lesson's client, written step by step as "Programando en Python con Sockets" teaches it.
# Used by the tests to show that server.ts speaks plain TCP: python3 lesson_client.py HOST PORT
import socket  # 1. importar el módulo socket
import sys

host = sys.argv[1]  # 2. el hostname del servidor
port = int(sys.argv[2])
s = socket.socket()  # 3. crear el objeto socket
s.connect((host, port))  # 4. conectar al servidor
s.sendall("hola desde Python\n".encode())  # 5. enviar...
s.shutdown(socket.SHUT_WR)
received = b""
while True:
    data = s.recv(1024)  # 5. ...y recibir, hasta que el servidor cierre
    if not data:
        break
    received += data
s.close()  # 6. cerrar la conexión
print(received.decode(), end="")
