# Ejercicio 2, el servidor: un eco. Devuelve cada byte que manda cada cliente,
# a muchos clientes a la vez, hasta que el cliente cierra. Anda, pero tiene
# errores: probalo, y arreglá cada TODO que señala la prueba que falla.
# Corré (en esta carpeta):  python3 eco_servidor.py
# Probá:  deno task probar eco 127.0.0.1:21042   (en otra terminal)
import socket  # 1. importar el módulo socket
import sys

host = ""  # 2. "": todas las interfaces
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042  # 3. el puerto
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # reusar el puerto ya
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"escuchando en 0.0.0.0:{s.getsockname()[1]}", flush=True)
while True:
    c, addr = s.accept()  # 7. aceptar
    # TODO paso 7: atendé a cada cliente en un hilo aparte (threading.Thread),
    # así el servidor vuelve enseguida a accept() y atiende a varios a la vez.
    # TODO: atrapá los errores de cada cliente (try/except OSError), así el
    # error de uno (ConnectionResetError) no termina el servidor.
    data = c.recv(1024)
    # TODO paso 8: un recv() trae solo lo que llegó hasta ahora. Repetí recv()
    # y sendall() hasta que recv() devuelva b"" (el cliente cerró).
    c.sendall(data)  # 8. devolver lo que llegó, todo (sendall, no send)
    c.close()  # 9. cerrar la conexión con este cliente
