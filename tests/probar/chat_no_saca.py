# Wrong on purpose, for tests/probar_test.ts: a chat room that never takes a member off the list
# and catches no error: once a member is gone, sending to it fails and the sender's thread ends,
# so the others stop getting that sender's lines. deno task probar chat: "chat-se-va" fails,
# chat-muere. python3 chat_no_saca.py PORT
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
    pendiente = b""
    while True:
        data = c.recv(1024)
        if not data:
            break
        pendiente += data
        while b"\n" in pendiente:
            linea, pendiente = pendiente.split(b"\n", 1)
            for otro in clientes:
                if otro is not c:
                    otro.sendall(linea + b"\n")  # 8. el error: si "otro" se fue, esto falla
    c.close()  # 9. cerrar (pero sigue en la lista)


while True:
    c, addr = s.accept()  # 7. aceptar a cada miembro
    clientes.append(c)
    threading.Thread(target=atender, args=(c,), daemon=True).start()
