# A correct chat room (the lesson's WhatsApp), as a student writes it in Python: one thread per
# member, each line sent to every other member, a member who is gone taken off the list.
# For tests/probar_test.ts (deno task probar chat must pass it): python3 chat_bien.py PORT
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
clientes = []
candado = threading.Lock()


def reenviar(de, linea):
    with candado:
        for otro in list(clientes):
            if otro is de:
                continue
            try:
                otro.sendall(linea)  # 8. mandar la línea a cada uno de los otros
            except OSError:
                clientes.remove(otro)  # se fue: lo sacamos de la lista


def atender(c, addr):
    nombre = f"{addr[0]}:{addr[1]}".encode()
    pendiente = b""
    try:
        while True:
            data = c.recv(1024)
            if not data:
                break
            pendiente += data
            while b"\n" in pendiente:  # una línea entera, aunque llegue en pedazos
                linea, pendiente = pendiente.split(b"\n", 1)
                reenviar(c, nombre + b": " + linea + b"\n")
    except OSError as error:
        print("miembro perdido:", error, flush=True)
    finally:
        with candado:
            if c in clientes:
                clientes.remove(c)
        c.close()  # 9. cerrar la conexión con este miembro


while True:
    c, addr = s.accept()  # 7. aceptar a cada miembro
    with candado:
        clientes.append(c)
    threading.Thread(target=atender, args=(c, addr), daemon=True).start()
