# py_udp.py: the lesson's style for UDP in Python: one blocking socket, each datagram back to its
# sender unchanged. Usage: python3 py_udp.py HOST PORT
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind((host, port))
print(f"listening on {host}:{server.getsockname()[1]}", flush=True)
while True:
    data, sender = server.recvfrom(65535)
    server.sendto(data, sender)
