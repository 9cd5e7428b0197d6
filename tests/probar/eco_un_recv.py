# Wrong on purpose, for tests/probar_test.ts: the lesson's steps taken literally: one recv(), the
# answer, close. A message sent in pieces comes back cut. deno task probar eco: "entero" fails,
# un-solo-recv.
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. las pruebas escuchan solo en esta máquina
port = int(sys.argv[1])  # 3. el puerto
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)
while True:
    c, addr = s.accept()  # 7. aceptar
    try:
        data = c.recv(1024)  # el error: un solo recv() como si fuera el mensaje entero
        c.sendall(data)  # 8. enviar
    except OSError as error:
        print("cliente perdido:", error, flush=True)
    c.close()  # 9. cerrar
