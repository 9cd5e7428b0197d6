# py_asyncio_udp.py: UDP echo with Python's asyncio: each datagram back to its sender unchanged.
# Usage: python3 py_asyncio_udp.py HOST PORT
import asyncio
import sys


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, sender):
        self.transport.sendto(data, sender)


async def main():
    host, port = sys.argv[1], int(sys.argv[2])
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(Echo, local_addr=(host, port))
    print(f"listening on {host}:{transport.get_extra_info('sockname')[1]}", flush=True)
    await asyncio.Event().wait()  # forever


asyncio.run(main())
