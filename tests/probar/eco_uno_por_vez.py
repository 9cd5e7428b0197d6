# Wrong on purpose, for tests/probar_test.ts: a careful echo (sendall, errors caught), but it
# serves one client at a time: the next one waits until the first leaves.
# deno task probar eco: "a-la-vez" fails, uno-por-vez.
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
    try:  # el error: atiende a este cliente hasta el final antes de volver a accept()
        while True:
            data = c.recv(1024)
            if not data:
                break
            c.sendall(data)  # 8. enviar
    except OSError as error:
        print("cliente perdido:", error, flush=True)
    c.close()  # 9. cerrar
