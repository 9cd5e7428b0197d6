# Ejercicio 3, el cliente: manda un datagrama y muestra la respuesta. Anda,
# pero si la respuesta se pierde espera para siempre: arreglá el TODO.
# Con un servidor andando, corré:  python3 udp_cliente.py
# Probá:  deno task probar cliente-udp -- python3 udp_cliente.py
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. el servidor: esta máquina (o la IP de otra)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 3. socket UDP
# 4. no hay connect(): cada sendto() lleva la dirección del servidor
s.sendto("hola desde Python".encode(), (host, port))  # 5. enviar...
# TODO paso 5: UDP no avisa si algo se pierde. Poné un plazo antes de esperar
# (s.settimeout(2)) y, si vence (socket.timeout), decilo y terminá.
data, addr = s.recvfrom(65507)  # 5. ...y recibir la respuesta
print(data.decode())
s.close()  # 6. cerrar el socket
