# The lesson's client with UDP (SOCK_DGRAM), step by step as "Programando en Python con Sockets" teaches it.
# Used by the tests to show that udp_server.ts speaks plain UDP: python3 lesson_udp_client.py HOST PORT
import socket  # 1. importar el módulo socket
import sys

host = sys.argv[1]  # 2. el hostname del servidor
port = int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 3. crear el objeto socket (UDP: datagramas)
s.settimeout(5)  # UDP no avisa si un datagrama se pierde: no esperar para siempre
# 4. no hay connect(): cada sendto() lleva la dirección del servidor
s.sendto("hola desde Python".encode(), (host, port))  # 5. enviar...
data, addr = s.recvfrom(65507)  # 5. ...y recibir la respuesta, con la dirección de quien la manda
s.close()  # 6. cerrar el socket
print(data.decode())
