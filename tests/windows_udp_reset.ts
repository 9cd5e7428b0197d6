// Loaded with `deno run --preload tests/windows_udp_reset.ts SCRIPT` (Deno 2.4 and later): makes
// every UDP socket of SCRIPT behave as a Windows one does after sending to a port where nothing
// listens. Windows reports the ICMP "port unreachable" that comes back as an error on the socket's
// next receive (WSAECONNRESET, which Deno gives as Deno.errors.ConnectionReset); Linux says nothing
// to an unconnected UDP socket, so the tests make the error here instead.
//
// After each send(), the receive() waiting at that moment (or, if none waits, the next one) fails
// once with ConnectionReset. Every other receive() gets the datagrams that really arrive.

const realListenDatagram = Deno.listenDatagram;

function resetError(): Error {
  return new Deno.errors.ConnectionReset(
    "An existing connection was forcibly closed by the remote host. (os error 10054)",
  );
}

function listenDatagram(options: Deno.UdpListenOptions & { transport: "udp" }) {
  const socket = realListenDatagram(options);
  const send = socket.send.bind(socket);
  const receive = socket.receive.bind(socket);
  type Waiter = {
    resolve: (got: [Uint8Array<ArrayBuffer>, Deno.Addr]) => void;
    reject: (error: unknown) => void;
  };
  const waiting: Waiter[] = [];
  const arrived: [Uint8Array<ArrayBuffer>, Deno.Addr][] = []; // came while nobody waited: kept for the next
  let resetDue = false;
  let reading = false;
  // One real receive() at a time, handed to the first receive() that waits for it.
  const pump = () => {
    if (reading || waiting.length === 0) return;
    reading = true;
    receive().then(
      (got) => {
        reading = false;
        const waiter = waiting.shift();
        if (waiter) waiter.resolve(got);
        else arrived.push(got);
        pump();
      },
      (error) => {
        reading = false;
        for (const waiter of waiting.splice(0)) waiter.reject(error);
      },
    );
  };
  socket.send = async (data: Uint8Array, addr: Deno.Addr) => {
    const sent = await send(data, addr);
    const waiter = waiting.shift();
    if (waiter) waiter.reject(resetError());
    else resetDue = true;
    return sent;
  };
  socket.receive = () =>
    new Promise((resolve, reject) => {
      if (resetDue) {
        resetDue = false;
        reject(resetError());
        return;
      }
      const got = arrived.shift();
      if (got) {
        resolve(got);
        return;
      }
      waiting.push({ resolve, reject });
      pump();
    });
  return socket;
}

Object.defineProperty(Deno, "listenDatagram", { value: listenDatagram, configurable: true });
