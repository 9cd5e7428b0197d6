# The lesson's server with UDP (SOCK_DGRAM), step by step as "Programando en Python con Sockets" teaches it.
# Used by the tests to show that udp_client.ts speaks plain UDP: python3 lesson_udp_server.py HOST PORT COUNT
# (the lesson's host is "", every interface; the tests pass 127.0.0.1). It answers COUNT datagrams, then ends.
import socket  # 1. importar el módulo socket
import sys

host = sys.argv[1]  # 2. el host en el que escuchar
port = int(sys.argv[2])  # 3. el puerto (0: cualquiera libre)
count = int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 4. crear el objeto socket (UDP: datagramas)
s.bind((host, port))  # 5. bindear host y puerto
s.settimeout(20)  # no esperar para siempre si un datagrama no llega
# 6 y 7. no hay listen() ni accept(): en UDP no hay conexiones
print(f"listening on {host}:{s.getsockname()[1]}", flush=True)
for _ in range(count):
    data, addr = s.recvfrom(65507)  # recibir un datagrama y la dirección de quien lo mandó
    s.sendto(data, addr)  # 8. enviar la respuesta: los mismos bytes, a esa dirección
s.close()  # 9. cerrar el socket
