# A client that resets its connection on purpose, for the tests: connect, read the greeting line,
# send some lines, wait until echoed bytes are waiting unread, then close with SO_LINGER 0, which
# makes the kernel send RST (a reset) instead of FIN (a normal end). Usage: HOST PORT LINES
import socket
import struct
import sys

host, port, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=10)
greeting = b""
try:
    while not greeting.endswith(b"\n"):
        byte = s.recv(1)
        if not byte:
            sys.exit("reset_client.py: the server closed before its greeting")
        greeting += byte
except socket.timeout:
    sys.exit("reset_client.py: no greeting within 10 s: the server does not serve us")
s.sendall(b"this line is never read back\n" * lines)
s.recv(1, socket.MSG_PEEK)  # an echo has arrived; it stays unread
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()  # with linger 0: RST, whatever is unread
print("reset")
