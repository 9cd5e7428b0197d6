# py_asyncio.py: the same echo as server.ts with Python's asyncio streams, one task per client.
# Usage: python3 py_asyncio.py HOST PORT
import asyncio
import sys

WELCOME = b"welcome: every line you send comes back to you\n"
MAX_LINE = 64 * 1024


async def serve(reader, writer):
    try:
        writer.write(WELCOME)
        unfinished = b""
        while data := await reader.read(64 * 1024):
            first = data.find(b"\n")
            if len(unfinished) + (len(data) if first == -1 else first) > MAX_LINE:
                writer.write(b"error: line longer than %d bytes, closing\n" % MAX_LINE)
                writer.write_eof()
                discarded = 0
                while discarded < 1024 * 1024 and (data := await reader.read(64 * 1024)):
                    discarded += len(data)
                return
            last = data.rfind(b"\n")
            if last == -1:
                unfinished += data
                continue
            writer.write(unfinished + data[: last + 1] if unfinished else memoryview(data)[: last + 1])
            unfinished = data[last + 1 :]
            await writer.drain()  # wait while the client is not reading
        writer.write(unfinished)
        await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main():
    host, port = sys.argv[1], int(sys.argv[2])
    server = await asyncio.start_server(serve, host, port, backlog=511)
    print(f"listening on {host}:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


asyncio.run(main())
