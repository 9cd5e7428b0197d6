# Wrong on purpose, for tests/probar_test.ts: a UDP echo that answers with a new socket, as the
# client does: the reply reaches the client, but from another port, so the client cannot tell it
# is the server's. deno task probar udp: "udp-eco" fails, otro-remitente.
# python3 udp_otro_socket.py PORT
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. las pruebas escuchan solo en esta máquina
port = int(sys.argv[1])  # 3. el puerto
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 4. crear el objeto socket (UDP)
s.bind((host, port))  # 5. bindear host y puerto
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)
while True:
    data, addr = s.recvfrom(65507)
    respuesta = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # el error: otro socket
    respuesta.sendto(data, addr)  # 8. devolver el datagrama (desde otro puerto)
    respuesta.close()
