# Ejercicio 1, el cliente: el de la lección, pasos 1 a 6. Completá cada TODO.
# Con un servidor andando, corré:  python3 saludo_cliente.py
# Probá:  deno task probar cliente-saludo -- python3 saludo_cliente.py
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. el servidor: esta máquina (o la IP de otra)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042
s = socket.socket()  # 3. crear el objeto socket
s.connect(...)  # TODO paso 4: conectá al servidor, a (host, port)
# TODO paso 5: recibí con recv(1024) hasta que devuelva b"" (el servidor
# cerró), y mostrá cada pedazo: print(data.decode(), end="")
# TODO paso 6: cerrá la conexión
