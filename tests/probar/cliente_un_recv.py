# Wrong on purpose, for tests/probar_test.ts: an echo client that takes one recv() as the whole
# reply: it prints only what had arrived by then. deno task probar cliente-eco: "imprime-todo"
# fails, un-recv-cliente. python3 cliente_un_recv.py PORT
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. el hostname del servidor: esta máquina
port = int(sys.argv[1])
s = socket.socket()  # 3. crear el objeto socket
s.connect((host, port))  # 4. conectar al servidor
s.sendall("hola desde Python\n".encode())  # 5. enviar...
data = s.recv(1024)  # el error: un solo recv() como si fuera toda la respuesta
print(data.decode(), end="")
s.close()  # 6. cerrar la conexión
