# Wrong on purpose, for tests/probar_test.ts: a UDP echo that receives with recvfrom(1024): a
# longer datagram is cut to 1024 bytes, silently. deno task probar udp: "udp-grande" fails,
# datagrama-cortado. python3 udp_recvfrom_chico.py PORT
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. las pruebas escuchan solo en esta máquina
port = int(sys.argv[1])  # 3. el puerto
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 4. crear el objeto socket (UDP)
s.bind((host, port))  # 5. bindear host y puerto
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)
while True:
    data, addr = s.recvfrom(1024)  # el error: un datagrama más largo llega cortado
    s.sendto(data, addr)  # 8. devolver el datagrama a quien lo mandó
