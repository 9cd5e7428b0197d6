# Ejercicio 3, el servidor: un eco UDP. Cada datagrama vuelve entero a quien
# lo mandó. Anda, pero corta los datagramas largos: arreglá el TODO.
# Corré (en esta carpeta):  python3 udp_servidor.py
# Probá:  deno task probar udp 127.0.0.1:21042   (en otra terminal)
import socket  # 1. importar el módulo socket
import sys

host = ""  # 2. "": todas las interfaces
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042  # 3. el puerto
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 4. socket UDP
s.bind((host, port))  # 5. bindear host y puerto
print(f"escuchando en 0.0.0.0:{s.getsockname()[1]}", flush=True)
# 6 y 7. no hay listen() ni accept(): cada datagrama trae quién lo mandó
while True:
    # TODO paso 7: un datagrama lleva hasta 65507 bytes, y lo que no entra en
    # recvfrom() se pierde sin aviso. ¿Cuántos pedimos?
    data, addr = s.recvfrom(1024)
    s.sendto(data, addr)  # 8. devolverlo a quien lo mandó
