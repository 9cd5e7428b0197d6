// node_net.mjs: the same echo as server.ts with Node's `net`: a welcome line, then every complete
// line back byte for byte; a line over 64 KiB gets an error line and the connection closes.
// Usage: node node_net.mjs HOST PORT
import net from "node:net";
import { Buffer } from "node:buffer";
import process from "node:process";

const WELCOME = "welcome: every line you send comes back to you\n";
const MAX_LINE = 64 * 1024;
const [host, port] = [process.argv[2], Number(process.argv[3])];

// allowHalfOpen: after the client's end of stream we still send back its last unfinished piece.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let unfinished = Buffer.alloc(0);
  let refused = false;
  socket.write(WELCOME);
  socket.on("data", (chunk) => {
    if (refused) return; // discard what comes after the error line
    const first = chunk.indexOf(10);
    if (unfinished.length + (first === -1 ? chunk.length : first) > MAX_LINE) {
      refused = true;
      socket.end(`error: line longer than ${MAX_LINE} bytes, closing\n`);
      return;
    }
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      unfinished = Buffer.concat([unfinished, chunk]);
      return;
    }
    const finished = chunk.subarray(0, last + 1);
    // write() returning false means the client is not reading fast enough: pause until it drains.
    if (!socket.write(unfinished.length ? Buffer.concat([unfinished, finished]) : finished)) {
      socket.pause();
      socket.once("drain", () => socket.resume());
    }
    unfinished = chunk.subarray(last + 1);
  });
  socket.on("end", () => (refused ? socket.destroy() : socket.end(unfinished)));
  socket.on("error", () => socket.destroy());
});
server.listen(
  { host, port, backlog: 511 },
  () => console.log(`listening on ${host}:${server.address().port}`),
);
