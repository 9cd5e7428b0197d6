# py_threads.py: the lesson's style in Python: blocking sockets and one thread per client.
# The same echo as server.ts: a welcome line, then every complete line back byte for byte; a line
# over 64 KiB gets an error line and the connection closes. Usage: python3 py_threads.py HOST PORT
# (The lesson listens with a backlog of 5; we use 511 like server.ts, so that a burst of
# connections measures the server, not SYN retries.)
import socket
import sys
import threading

WELCOME = b"welcome: every line you send comes back to you\n"
MAX_LINE = 64 * 1024


def serve(conn):
    with conn:
        try:
            conn.sendall(WELCOME)
            unfinished = b""
            while True:
                data = conn.recv(64 * 1024)
                if not data:
                    break
                first = data.find(b"\n")
                if len(unfinished) + (len(data) if first == -1 else first) > MAX_LINE:
                    conn.sendall(b"error: line longer than %d bytes, closing\n" % MAX_LINE)
                    conn.shutdown(socket.SHUT_WR)
                    discarded = 0
                    while discarded < 1024 * 1024:
                        data = conn.recv(64 * 1024)
                        if not data:
                            break
                        discarded += len(data)
                    return
                last = data.rfind(b"\n")
                if last == -1:
                    unfinished += data
                    continue
                conn.sendall(unfinished + data[: last + 1] if unfinished else memoryview(data)[: last + 1])
                unfinished = data[last + 1 :]
            conn.sendall(unfinished)
        except OSError:
            pass


host, port = sys.argv[1], int(sys.argv[2])
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port))
server.listen(511)
print(f"listening on {host}:{server.getsockname()[1]}", flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
