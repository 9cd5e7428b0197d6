# A correct echo server, as a student following the lesson writes it in Python: one thread per
# client, every byte sent back with sendall() until the client closes, each client's errors caught.
# For tests/probar_test.ts (deno task probar must pass it): python3 eco_bien.py PORT
import socket  # 1. importar el módulo socket
import sys
import threading

host = "127.0.0.1"  # 2. (la lección usa "": todas las interfaces; las pruebas, solo esta máquina)
port = int(sys.argv[1])  # 3. el puerto (0: cualquiera libre)
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)


def atender(c):
    try:
        while True:
            data = c.recv(1024)
            if not data:  # el cliente cerró
                break
            c.sendall(data)  # 8. devolver todo lo que llegó
    except OSError as error:
        print("cliente perdido:", error, flush=True)
    finally:
        c.close()  # 9. cerrar la conexión con este cliente


while True:
    c, addr = s.accept()  # 7. aceptar
    threading.Thread(target=atender, args=(c,), daemon=True).start()
