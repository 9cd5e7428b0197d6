// node_chat.mjs: the kit's chat room with Node's `net`: the same welcome, join and leave notices,
// "/name NAME", each line to every other member as "NAME: line", and a member with more than
// 256 KiB waiting to be written is dropped. Usage: node node_chat.mjs HOST PORT
import net from "node:net";
import process from "node:process";

const MAX_LINE = 64 * 1024;
const MAX_BEHIND = 256 * 1024;
const [host, port] = [process.argv[2], Number(process.argv[3])];
const room = new Set();

// writableLength is what Node holds for this socket that the kernel has not taken yet.
function post(member, bytes) {
  if (member.socket.writableLength + bytes.length > MAX_BEHIND) {
    leave(member, "was disconnected: too far behind");
  } else member.socket.write(bytes);
}
function announce(from, text) {
  const bytes = Buffer.from(text); // encoded once for everyone
  for (const other of room) if (other !== from) post(other, bytes);
}
function leave(member, why) {
  if (!room.delete(member)) return;
  member.socket.destroy();
  announce(member, `* ${member.name} ${why} (${room.size} online)\n`);
}
function say(member, text) {
  for (const raw of text.replace(/\n$/, "").split("\n")) {
    const line = raw.replace(/\p{Cc}/gu, "");
    const rename = line.match(/^\/name\s+(\S.*)$/);
    if (!rename) announce(member, `${member.name}: ${line}\n`);
    else {
      const name = [...rename[1].trim()].slice(0, 32).join("");
      announce(member, `* ${member.name} is now ${name}\n`);
      member.name = name;
    }
  }
}

const server = net.createServer((socket) => {
  const a = socket.remoteAddress;
  const peer = `${a.includes(":") ? `[${a}]` : a}:${socket.remotePort}`;
  const member = { socket, name: peer };
  let unfinished = Buffer.alloc(0);
  room.add(member);
  post(
    member,
    Buffer.from(
      `welcome to the chat, ${peer}: ${room.size} online\n`,
    ),
  );
  announce(member, `* ${peer} joined (${room.size} online)\n`);
  socket.on("data", (chunk) => {
    if (!room.has(member)) return;
    const first = chunk.indexOf(10);
    if (unfinished.length + (first === -1 ? chunk.length : first) > MAX_LINE) {
      room.delete(member);
      announce(member, `* ${member.name} left (${room.size} online)\n`);
      socket.end(`error: line longer than ${MAX_LINE} bytes, closing\n`);
      return;
    }
    const last = chunk.lastIndexOf(10);
    if (last === -1) unfinished = Buffer.concat([unfinished, chunk]);
    else {
      say(member, Buffer.concat([unfinished, chunk.subarray(0, last + 1)]).toString());
      unfinished = chunk.subarray(last + 1);
    }
  });
  socket.on(
    "end",
    () => room.has(member) && unfinished.length && say(member, unfinished.toString()),
  );
  socket.on("close", () => leave(member, "left"));
  socket.on("error", () => socket.destroy());
});
server.listen(
  { host, port, backlog: 511 },
  () => console.log(`listening on ${host}:${server.address().port}`),
);
