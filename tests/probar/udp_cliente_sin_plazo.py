# Wrong on purpose, for tests/probar_test.ts: a UDP client with no time limit: if the reply is
# lost, recvfrom() waits for ever. deno task probar cliente-udp: "udp-plazo" fails,
# espera-para-siempre. python3 udp_cliente_sin_plazo.py PORT
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. el hostname del servidor: esta máquina
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 3. crear el objeto socket (UDP)
s.sendto("hola desde Python".encode(), (host, port))  # 5. enviar...
data, addr = s.recvfrom(65507)  # el error: sin settimeout(), espera para siempre
s.close()  # 6. cerrar el socket
print(data.decode())
