# Wrong on purpose, for tests/probar_test.ts: each recv() is turned into text and back
# (data.decode() ... .encode()). A character split across two recv() calls breaks it: the decode
# fails and that client's thread ends. deno task probar eco: "bytes" fails, caracter-partido.
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
    with c:
        while True:
            data = c.recv(1024)
            if not data:
                break
            mensaje = data.decode()  # el error: cada pedazo pasado a texto por separado
            print("recibí:", mensaje, flush=True)
            c.sendall(mensaje.encode())  # 8. enviar


while True:
    c, addr = s.accept()  # 7. aceptar
    threading.Thread(target=atender, args=(c,), daemon=True).start()
