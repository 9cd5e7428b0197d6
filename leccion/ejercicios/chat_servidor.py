# Ejercicio 4 (opcional), el servidor: el chat, el WhatsApp de la lección. Cada
# línea de un miembro les llega a todos los otros. Anda, pero tiene errores:
# probalo, y arreglá cada TODO que señala la prueba que falla.
# Corré (en esta carpeta):  python3 chat_servidor.py
# Probá:  deno task probar chat 127.0.0.1:21042   (en otra terminal)
import socket  # 1. importar el módulo socket
import sys
import threading

host = ""  # 2. "": todas las interfaces
port = int(sys.argv[1]) if len(sys.argv) > 1 else 21042  # 3. el puerto
s = socket.socket()  # 4. crear el objeto socket
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # reusar el puerto ya
s.bind((host, port))  # 5. bindear host y puerto
s.listen(5)  # 6. modo listening
print(f"escuchando en 0.0.0.0:{s.getsockname()[1]}", flush=True)
miembros = []  # las conexiones de todos los que están en la sala


def atender(c, addr):  # 8. lo que manda un miembro, a todos los otros
    nombre = f"{addr[0]}:{addr[1]}: ".encode()
    while True:
        data = c.recv(1024)
        if not data:  # se fue
            break
        # TODO: una línea puede llegar en varios recv(): juntá los bytes
        # hasta el b"\n" y reenviá la línea entera, con el nombre adelante.
        for otro in miembros:
            if otro is not c:
                # TODO: si "otro" ya se fue, sendall() falla: atrapá el error
                # (except OSError) y sacalo de la lista.
                otro.sendall(nombre + data)
    miembros.remove(c)
    c.close()  # 9. cerrar la conexión con este miembro


while True:
    c, addr = s.accept()  # 7. aceptar a cada miembro
    miembros.append(c)
    threading.Thread(target=atender, args=(c, addr), daemon=True).start()
