# Wrong on purpose, for tests/probar_test.ts: the lesson's steps 1 to 9 once, with no loop around
# accept(): the first client gets the message, and the server ends.
# deno task probar saludo: "otra-vez" fails, atiende-uno-solo.
import socket  # 1. importar el módulo socket
import sys

host = "127.0.0.1"  # 2. las pruebas escuchan solo en esta máquina
port = int(sys.argv[1])  # 3. el puerto
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"escuchando en {host}:{s.getsockname()[1]}", flush=True)
c, addr = s.accept()  # 7. aceptar (el error: una sola vez)
c.send("Gracias por conectarte\n".encode())  # 8. enviar el mensaje
c.close()  # 9. cerrar la conexión
s.close()
