# Wrong on purpose, for tests/probar_test.ts: it keeps every client in a list (ready for a chat)
# and never calls close(): after the client is done, its connection stays open and the client
# waits for ever. deno task probar eco: "cierre" fails, no-cierra.
import socket  # 1. importar el módulo socket
import sys
import threading

host = "127.0.0.1"  # 2. las pruebas escuchan solo en esta máquina
port = int(sys.argv[1])  # 3. el puerto
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)
clientes = []


def atender(c):
    try:
        while True:
            data = c.recv(1024)
            if not data:
                break
            c.sendall(data)  # 8. enviar
    except OSError as error:
        print("cliente perdido:", error, flush=True)
    # el error: falta c.close() (paso 9), y la lista lo mantiene abierto


while True:
    c, addr = s.accept()  # 7. aceptar
    clientes.append(c)
    threading.Thread(target=atender, args=(c,), daemon=True).start()
