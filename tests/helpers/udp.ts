// UDP for the tests: a loopback peer whose every receive is bounded, and a port nobody uses.

/** A UDP socket on loopback for the tests: every receive is bounded, and close() ends a pending one. */
export class UdpPeer {
  readonly socket: Deno.DatagramConn;
  #pending: Promise<[Uint8Array, Deno.Addr]> | undefined;

  constructor(hostname = "127.0.0.1") {
    this.socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  }

  get port(): number {
    return (this.socket.addr as Deno.NetAddr).port;
  }

  send(bytes: Uint8Array, port: number, hostname = "127.0.0.1"): Promise<number> {
    return this.socket.send(bytes, { transport: "udp", hostname, port });
  }

  /** The next datagram and who sent it, or undefined if none comes within `timeoutMs`. */
  async receive(timeoutMs = 5_000): Promise<[Uint8Array, Deno.NetAddr] | undefined> {
    // receive() cannot be cancelled: keep it pending for the next call, so that no datagram is lost.
    this.#pending ??= this.socket.receive();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const received = await Promise.race([this.#pending, timeUp]);
      if (received) this.#pending = undefined;
      return received as [Uint8Array, Deno.NetAddr] | undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async close() {
    this.socket.close();
    await this.#pending?.catch(() => {}); // close() makes a pending receive() fail with Interrupted
  }
}

/** A UDP port that nothing uses (tests/helpers/process.ts says how it is chosen). */
export { freeUdpPort } from "./process.ts";
