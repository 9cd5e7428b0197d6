# Ejercicio 2, el cliente: manda un mensaje y muestra todo lo que vuelve, hasta
# que el servidor cierra. Anda, pero no siempre muestra todo: arreglá el TODO.
# Con un servidor andando, corré:  python3 eco_cliente.py
# Probá:  deno task probar cliente-eco -- python3 eco_cliente.py
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. el servidor: esta máquina (o la IP de otra)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042
s = socket.socket()  # 3. crear el objeto socket
s.connect((host, port))  # 4. conectar al servidor
s.sendall("hola desde Python\n".encode())  # 5. enviar...
s.shutdown(socket.SHUT_WR)  # ...y avisar que terminamos de mandar
data = s.recv(1024)  # 5. ...y recibir
# TODO paso 5: la respuesta puede llegar en pedazos. Recibí y mostrá en un
# bucle, hasta que recv() devuelva b"" (el servidor cerró).
print(data.decode(), end="")
s.close()  # 6. cerrar la conexión
