# Wrong on purpose, for tests/probar_test.ts: an echo client that prints whatever recv() returns,
# for ever: once the server closes, recv() returns b"" again and again, and the client never
# ends. deno task probar cliente-eco: "termina" fails, no-termina. python3 cliente_no_termina.py PORT
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. el hostname del servidor: esta máquina
port = int(sys.argv[1])
s = socket.socket()  # 3. crear el objeto socket
s.connect((host, port))  # 4. conectar al servidor
s.sendall("hola desde Python\n".encode())  # 5. enviar...
s.shutdown(socket.SHUT_WR)
while True:  # el error: falta "if not data: break"
    data = s.recv(1024)
    print(data.decode(), end="")
