# Ejercicio 4 (opcional), el cliente del chat: manda cada línea que escribís y,
# al mismo tiempo, muestra lo que escriben los otros. Completá el TODO.
# Corré (en esta carpeta):  python3 chat_cliente.py
# (Ctrl-D, o Ctrl-Z y Enter en Windows, sale de la sala)
import socket  # 1. importar el módulo socket
import sys
import threading

host = "127.0.0.1"  # 2. el servidor del chat (la IP de quien lo corre)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042
s = socket.socket()  # 3. crear el objeto socket
s.connect((host, port))  # 4. conectar al servidor


def mostrar():  # 5. recibir, en un hilo aparte, mientras escribís
    ...  # TODO: recibí con recv() en un bucle y mostrá cada pedazo con
    # print(data.decode(), end=""); si recv() devuelve b"", el servidor cerró.


threading.Thread(target=mostrar, daemon=True).start()
for linea in sys.stdin:  # 5. enviar cada línea que escribís
    s.sendall(linea.encode())
s.close()  # 6. cerrar la conexión
