// node_dgram.mjs: UDP echo with Node's `dgram`: each datagram back to its sender unchanged.
// Usage: node node_dgram.mjs HOST PORT
import dgram from "node:dgram";
import process from "node:process";

const [host, port] = [process.argv[2], Number(process.argv[3])];
const socket = dgram.createSocket("udp4");
socket.on("message", (data, sender) => socket.send(data, sender.port, sender.address));
socket.bind(port, host, () => console.log(`listening on ${host}:${socket.address().port}`));
