# Wrong on purpose, for tests/probar_test.ts: it reads line by line and sends each back without
# its trailing spaces (rstrip() also takes the \r of \r\n) and with a \n of its own.
# deno task probar eco: "lineas" fails, cambia-lineas.
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
        for linea in c.makefile("rb"):  # línea por línea, hasta que el cliente cierre
            c.sendall(linea.rstrip() + b"\n")  # 8. el error: la línea "limpia", con otro fin
    except OSError as error:
        print("cliente perdido:", error, flush=True)
    finally:
        c.close()  # 9. cerrar


while True:
    c, addr = s.accept()  # 7. aceptar
    threading.Thread(target=atender, args=(c,), daemon=True).start()
