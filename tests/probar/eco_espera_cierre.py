# Wrong on purpose, for tests/probar_test.ts: it gathers everything the client sends and answers
# only once the client has closed its side (like tests/lesson_server.py, without the "eco: ").
# deno task probar eco: "eco" fails, espera-el-cierre.
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
        recibido = b""
        while True:
            data = c.recv(1024)
            if not data:
                break
            recibido += data
        c.sendall(recibido)  # 8. el error: contesta recién al final
    except OSError as error:
        print("cliente perdido:", error, flush=True)
    finally:
        c.close()  # 9. cerrar


while True:
    c, addr = s.accept()  # 7. aceptar
    threading.Thread(target=atender, args=(c,), daemon=True).start()
