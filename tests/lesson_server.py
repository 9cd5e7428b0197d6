# The lesson's server, written step by step as "Programando en Python con Sockets" teaches it.
# Used by the tests to show that client.ts speaks plain TCP: python3 lesson_server.py PORT
import socket  # 1. importar el módulo socket
import sys

host = ""  # 2. el string vacío: escuchar en todas las interfaces
port = int(sys.argv[1])  # 3. el puerto (0: cualquiera libre)
s = socket.socket()  # 4. crear el objeto socket
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"listening on 0.0.0.0:{s.getsockname()[1]}", flush=True)
c, addr = s.accept()  # 7. aceptar la conexión de un cliente
c.send("Gracias por conectarte\n".encode())  # 8. enviar el mensaje
received = b""
while True:
    data = c.recv(1024)
    if not data:
        break
    received += data
c.sendall(b"eco: " + received)
c.close()  # 9. cerrar la conexión
s.close()
