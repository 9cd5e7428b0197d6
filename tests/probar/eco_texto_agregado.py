# Wrong on purpose, for tests/probar_test.ts: the echo comes back with text added in front of it
# ("eco: ..."), as tests/lesson_server.py does. deno task probar eco: "eco" fails, texto-agregado.
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


def atender(c):
    try:
        while True:
            data = c.recv(1024)
            if not data:
                break
            c.sendall(b"eco: " + data)  # 8. el error: texto agregado a lo que llegó
    except OSError as error:
        print("cliente perdido:", error, flush=True)
    finally:
        c.close()  # 9. cerrar


while True:
    c, addr = s.accept()  # 7. aceptar
    threading.Thread(target=atender, args=(c,), daemon=True).start()
