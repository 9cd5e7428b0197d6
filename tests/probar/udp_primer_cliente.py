# Wrong on purpose, for tests/probar_test.ts: a UDP echo that keeps the address of the first
# datagram, as if UDP had one client like an accept(): every reply goes to that first client.
# deno task probar udp: "udp-dos" fails, responde-a-otro. python3 udp_primer_cliente.py PORT
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. las pruebas escuchan solo en esta máquina
port = int(sys.argv[1])  # 3. el puerto
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 4. crear el objeto socket (UDP)
s.bind((host, port))  # 5. bindear host y puerto
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)
data, cliente = s.recvfrom(65507)  # el error: "el cliente" es el del primer datagrama
while True:
    s.sendto(data, cliente)  # 8. devolver el datagrama
    data, addr = s.recvfrom(65507)
