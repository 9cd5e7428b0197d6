# Wrong on purpose, for tests/probar_test.ts: the echo a student writes first, following the
# lesson's steps: one client at a time, and no error caught, so a client that resets (RST) ends
# the whole server. deno task probar eco: "a-la-vez" (uno-por-vez) and "corte" (muere-tras-corte).
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
    while True:
        data = c.recv(1024)
        if not data:
            break
        c.sendall(data)  # 8. enviar
    c.close()  # 9. cerrar
