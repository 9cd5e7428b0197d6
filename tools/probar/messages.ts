// Every message `deno task probar` prints, in ONE table: one entry per message, Spanish and
// English side by side. The checks themselves (tools/probar/servers.ts, clients.ts) hold no text:
// each names its entries here, so this table also reads as the list of checks a teacher can open
// (what each check sends, what must come back) and of every diagnosis (the likely cause, in the
// student's terms, and the fix in Python and in Deno, with the lesson's step).
//
// `{name}` in a text is filled in when it is printed. The --json output never uses this table.

export type Lang = "es" | "en";
type Entry = { es: string; en: string };

export const TEXTS = {
  // ---------------------------------------------------------------------------------------------
  // The checks of a server: `deno task probar KIND HOST:PORT`. Each: title, sends, expects.

  // eco: an echo server (the lesson's server, which sends back every byte each client sends)
  "eco.title": { es: "un mensaje corto vuelve igual", en: "a short message comes back unchanged" },
  "eco.sends": {
    es: "una línea corta, apenas conecta",
    en: "one short line, right after connecting",
  },
  "eco.expects": {
    es: "la misma línea, byte por byte (antes puede llegar un saludo de líneas enteras)",
    en: "the same line, byte for byte (a greeting of whole lines may come first)",
  },
  "entero.title": {
    es: "un mensaje largo, o que llega en pedazos, vuelve entero",
    en: "a long message, or one that arrives in pieces, comes back whole",
  },
  "entero.sends": {
    es: "por una conexión: una línea en 3 pedazos con pausas de 200 ms, una de 10000 bytes " +
      "de una vez, y una corta",
    en: "on one connection: a line in 3 pieces with 200 ms pauses, one of 10000 bytes in one " +
      "go, and a short one",
  },
  "entero.expects": {
    es: "cada una entera y en orden, con la conexión abierta",
    en: "each one whole and in order, the connection still open",
  },
  "a-la-vez.title": { es: "atiende a dos clientes a la vez", en: "serves two clients at once" },
  "a-la-vez.sends": {
    es: "un cliente recibe su eco y sigue conectado; un segundo cliente manda una línea",
    en: "one client gets its echo and stays connected; a second client sends a line",
  },
  "a-la-vez.expects": {
    es: "el eco del segundo, sin esperar a que el primero se vaya",
    en: "the second one's echo, without waiting for the first to leave",
  },
  "bytes.title": {
    es: "los bytes vuelven tal cual, aunque no sean texto",
    en: "bytes come back as they are, even when they are not text",
  },
  "bytes.sends": {
    es: '"café" con la é (2 bytes) partida en dos envíos, y una línea con bytes que no son ' +
      "UTF-8 (\\xff \\xfe \\x80)",
    en: '"café" with its é (2 bytes) split across two sends, and a line with bytes that are ' +
      "not UTF-8 (\\xff \\xfe \\x80)",
  },
  "bytes.expects": { es: "los mismos bytes", en: "the same bytes" },
  "lineas.title": {
    es: "los fines de línea y los espacios vuelven tal cual",
    en: "line ends and spaces come back as they are",
  },
  "lineas.sends": {
    es: "de a una: una línea que termina en \\r\\n, una con espacios y un tab en los bordes, " +
      "y una seguida de una línea vacía",
    en: "one at a time: a line ending in \\r\\n, one with spaces and a tab at its ends, " +
      "and one followed by an empty line",
  },
  "lineas.expects": {
    es: "las mismas, con su \\r, sus espacios y la línea vacía",
    en: "the same, with their \\r, their spaces and the empty line",
  },
  "mucho.title": {
    es: "mucho de una vez, a un cliente que lee despacio",
    en: "a lot at once, to a client that reads slowly",
  },
  "mucho.sends": {
    es: "8 MiB en líneas numeradas de 1 KiB, sin leer hasta que el servidor deja de tomar más " +
      "(como un cliente lento), y una línea final",
    en: "8 MiB in numbered lines of 1 KiB, not reading until the server stops taking more " +
      "(as a slow client would), and a last line",
  },
  "mucho.expects": {
    es: "todo, en orden, sin que falte un byte",
    en: "all of it, in order, not one byte missing",
  },
  "cierre.title": {
    es: "cierra cuando el cliente termina",
    en: "closes when the client is done",
  },
  "cierre.sends": {
    es: "una línea, y después shutdown(SHUT_WR): el cliente terminó de mandar",
    en: "a line, then shutdown(SHUT_WR): the client has finished sending",
  },
  "cierre.expects": {
    es: "el eco de la línea, y después el cierre de la conexión",
    en: "the line's echo, then the end of the connection",
  },
  "corte.title": {
    es: "sigue andando después de que un cliente se corta de golpe",
    en: "keeps going after a client drops abruptly",
  },
  "corte.sends": {
    es: "un cliente manda una línea y cierra enseguida, sin leer; otro manda sin leer hasta que " +
      "el servidor queda trabado devolviéndole, y cierra de golpe (al servidor le llega un " +
      "reset, RST, mientras manda)",
    en: "one client sends a line and closes at once, without reading; another sends without " +
      "reading until the server is stuck sending back to it, and drops (the server gets a " +
      "reset, RST, while it sends)",
  },
  "corte.expects": {
    es: "un cliente nuevo recibe su eco",
    en: "a new client gets its echo",
  },

  // saludo: the lesson's own server, steps 1-9 (accept, send one message, close)
  "saludo.title": {
    es: "llega un mensaje, y el servidor cierra",
    en: "a message arrives, then the server closes",
  },
  "saludo.sends": {
    es: "conectarme y leer, sin mandar nada",
    en: "connecting and reading, sending nothing",
  },
  "saludo.expects": {
    es: "al menos un byte, y después el cierre de la conexión",
    en: "at least one byte, then the end of the connection",
  },
  "otra-vez.title": {
    es: "atiende a un cliente después de otro",
    en: "serves one client after another",
  },
  "otra-vez.sends": {
    es: "dos clientes más, uno después del otro",
    en: "two more clients, one after the other",
  },
  "otra-vez.expects": {
    es: "cada uno recibe el mensaje y el cierre",
    en: "each gets the message and the end of the connection",
  },

  // udp: a UDP echo server (each datagram back whole, to whoever sent it)
  "udp-eco.title": {
    es: "un datagrama vuelve igual, a quien lo mandó",
    en: "a datagram comes back unchanged, to its sender",
  },
  "udp-eco.sends": {
    es: "un datagrama corto (hasta 3 intentos, 1 s cada uno)",
    en: "a short datagram (up to 3 tries, 1 s each)",
  },
  "udp-eco.expects": {
    es: "el mismo datagrama, desde la dirección y el puerto del servidor",
    en: "the same datagram, from the server's address and port",
  },
  "udp-grande.title": {
    es: "un datagrama grande vuelve entero",
    en: "a large datagram comes back whole",
  },
  "udp-grande.sends": { es: "un datagrama de 4000 bytes", en: "a datagram of 4000 bytes" },
  "udp-grande.expects": { es: "los 4000 bytes", en: "all 4000 bytes" },
  "udp-dos.title": {
    es: "cada cliente recibe su respuesta",
    en: "each client gets its own reply",
  },
  "udp-dos.sends": {
    es: "otro cliente (otro socket, otro puerto) y el primero mandan un datagrama cada uno",
    en: "another client (another socket, another port) and the first send a datagram each",
  },
  "udp-dos.expects": {
    es: "cada respuesta le llega a quien mandó ese datagrama",
    en: "each reply reaches whoever sent that datagram",
  },

  // chat: the lesson's WhatsApp (a line from one member reaches every other member)
  "chat-llega.title": {
    es: "una línea de un miembro les llega a todos los otros",
    en: "a line from one member reaches every other member",
  },
  "chat-llega.sends": {
    es: "tres miembros (A, B y C) conectados; A manda una línea, después C manda otra",
    en: "three members (A, B and C) connected; A sends a line, then C sends one",
  },
  "chat-llega.expects": {
    es: "la línea de A les llega a B y a C, y la de C a A y a B (se busca el texto: el " +
      "servidor puede agregarle el nombre)",
    en: "A's line reaches B and C, and C's reaches A and B (the text is looked for: the " +
      "server may add the name)",
  },
  "chat-pedazos.title": {
    es: "una línea que llega en pedazos sale entera",
    en: "a line that arrives in pieces goes out whole",
  },
  "chat-pedazos.sends": {
    es: "B manda una línea en 3 pedazos, con pausas de 200 ms",
    en: "B sends a line in 3 pieces, with 200 ms pauses",
  },
  "chat-pedazos.expects": {
    es: "A y C la reciben en una sola línea",
    en: "A and C get it in one line",
  },
  "chat-se-va.title": {
    es: "la sala sigue si un miembro se corta de golpe",
    en: "the room goes on when a member drops abruptly",
  },
  "chat-se-va.sends": {
    es: "A se va de golpe, con líneas sin leer; después B manda dos líneas",
    en: "A drops abruptly, lines unread; then B sends two lines",
  },
  "chat-se-va.expects": { es: "C recibe las dos", en: "C gets both" },

  // ---------------------------------------------------------------------------------------------
  // The checks of a client: `deno task probar cliente-KIND -- COMMAND ARGS...`. The checker is
  // the server, on 127.0.0.1 (port 21042, or --port).

  "conecta.title": {
    es: "se conecta a {address}",
    en: "connects to {address}",
  },
  "conecta.sends": {
    es: "esperar a tu cliente en {address}",
    en: "waiting for your client on {address}",
  },
  "conecta.expects": {
    es: "una conexión en {connect_s} s",
    en: "a connection within {connect_s} s",
  },
  "envia.title": { es: "manda su mensaje", en: "sends its message" },
  "envia.sends": {
    es: "mandarle un saludo de una línea apenas se conecta, y esperar su mensaje",
    en: "sending a one-line greeting as soon as it connects, and waiting for its message",
  },
  "envia.expects": {
    es: "al menos un byte del cliente en {send_s} s",
    en: "at least one byte from the client within {send_s} s",
  },
  "imprime-todo.title": {
    es: "muestra todo lo que llegó",
    en: "prints everything that arrived",
  },
  "imprime-todo.sends.eco": {
    es: "mandarle el saludo, y el eco de lo que mandó en 3 pedazos con pausas de 300 ms; " +
      "después, cerrar",
    en: "sending the greeting, and the echo of what it sent in 3 pieces with 300 ms pauses; " +
      "then closing",
  },
  "imprime-todo.sends.saludo": {
    es: "mandarle un mensaje en 3 pedazos con pausas de 300 ms; después, cerrar",
    en: "sending a message in 3 pieces with 300 ms pauses; then closing",
  },
  "imprime-todo.expects": {
    es: "todo eso en la salida del cliente (los saltos de línea entre pedazos no importan)",
    en: "all of it in the client's output (line breaks between pieces do not matter)",
  },
  "termina.title": {
    es: "termina cuando el servidor cierra",
    en: "ends when the server closes",
  },
  "termina.sends": {
    es: "cerrar la conexión, después de mandarle todo",
    en: "closing the connection, after sending everything",
  },
  "termina.expects": {
    es: "que el cliente termine, con código 0, en {s} s",
    en: "the client ends, with exit code 0, within {s} s",
  },
  "udp-envia.title": { es: "manda un datagrama", en: "sends a datagram" },
  "udp-envia.sends": {
    es: "esperar un datagrama de tu cliente en {address}",
    en: "waiting for a datagram from your client on {address}",
  },
  "udp-envia.expects": {
    es: "un datagrama del cliente en {connect_s} s",
    en: "a datagram from the client within {connect_s} s",
  },
  "udp-imprime.title": {
    es: "muestra la respuesta y termina",
    en: "prints the reply and ends",
  },
  "udp-imprime.sends": {
    es: "devolverle el mismo datagrama",
    en: "sending the same datagram back",
  },
  "udp-imprime.expects": {
    es: "la respuesta en la salida del cliente, y que termine en {s} s",
    en: "the reply in the client's output, and the client ending within {s} s",
  },
  "udp-plazo.title": {
    es: "no espera para siempre una respuesta perdida",
    en: "does not wait for ever for a lost reply",
  },
  "udp-plazo.sends": {
    es: "correr tu cliente otra vez, y esta vez no contestarle",
    en: "running your client again, and this time not answering it",
  },
  "udp-plazo.expects": {
    es: "que el cliente se rinda y termine en {give_up_s} s",
    en: "the client gives up and ends within {give_up_s} s",
  },

  // ---------------------------------------------------------------------------------------------
  // Output: the report.

  "out.header": {
    es: "probar {kind} {address}: {count} pruebas",
    en: "probar {kind} {address}: {count} checks",
  },
  "out.header.client": {
    es: "probar {kind}: tu cliente `{command}` contra el servidor de prueba en {address}",
    en: "probar {kind}: your client `{command}` against the test server on {address}",
  },
  "out.pass": { es: "[ ok ]", en: "[ ok ]" },
  "out.fail": { es: "[FALLA]", en: "[FAIL]" },
  "out.skip": { es: "[ -- ]", en: "[skip]" },
  "out.skipped": {
    es: "no se probó: antes tiene que pasar {needs}",
    en: "not run: {needs} must pass first",
  },
  "out.sent": { es: "mandé:", en: "sent:" },
  "out.got": { es: "volvió:", en: "got:" },
  "out.printed": { es: "mostró:", en: "printed:" },
  "out.cause": { es: "causa:", en: "cause:" },
  "out.step": { es: "lección:", en: "lesson:" },
  "out.step.value": { es: "paso {step}", en: "step {step}" },
  "out.bytes": { es: "{count} bytes", en: "{count} bytes" },
  "out.nothing": { es: "nada", en: "nothing" },
  "out.check": { es: "probé:", en: "tried:" },
  "out.expected": { es: "espero:", en: "expects:" },
  "out.none.eof": {
    es: "nada, y el servidor cerró la conexión",
    en: "nothing, and the server closed the connection",
  },
  "out.none.reset": {
    es: "nada, y la conexión se cortó (reset)",
    en: "nothing, and the connection was reset",
  },
  "out.none.timeout": { es: "nada en {s} s", en: "nothing within {s} s" },
  "out.none.full": { es: "nada", en: "nothing" },
  "out.none.refused": {
    es: "nada: nadie escucha en ese puerto (conexión rechazada)",
    en: "nothing: nobody listens on that port (connection refused)",
  },
  "out.end.eof": {
    es: "y después el servidor cerró la conexión",
    en: "and then the server closed the connection",
  },
  "out.end.reset": {
    es: "y después la conexión se cortó (reset)",
    en: "and then the connection was reset",
  },
  "out.end.timeout": { es: "y nada más en {s} s", en: "and nothing more within {s} s" },
  "out.end.full": {
    es: "y siguió mandando sin parar (dejé de leer a los 4 MiB)",
    en: "and it kept sending without end (stopped reading at 4 MiB)",
  },
  "out.end.refused": {
    es: "y después nadie escucha en ese puerto (conexión rechazada)",
    en: "and then nobody listens on that port (connection refused)",
  },
  "out.greeting": { es: "saludo: {greeting}", en: "greeting: {greeting}" },
  "out.summary.pass": {
    es: "resultado: pasaron las {count} pruebas",
    en: "result: all {count} checks passed",
  },
  "out.summary.fail": {
    es: "resultado: pasaron {passed} de {count}; la primera que falló: {first}",
    en: "result: {passed} of {count} passed; the first to fail: {first}",
  },
  "out.refused": {
    es: "probar: nada escucha en {address}: ¿arrancaste tu servidor? ¿es ese el puerto?",
    en: "probar: nothing listens on {address}: is your server running? is that the port?",
  },
  "out.timeout": {
    es: "probar: nadie contesta en {address} ({s} s): ¿es esa la IP? ¿un firewall?",
    en: "probar: nobody answers on {address} ({s} s): is that the IP? a firewall?",
  },
  "out.unreachable": {
    es: "probar: no hay camino a {address}: revisá la IP y la red",
    en: "probar: no route to {address}: check the IP and the network",
  },
  "out.name": {
    es: "probar: no se puede conectar a {address}: {error}",
    en: "probar: cannot connect to {address}: {error}",
  },
  "out.port-in-use": {
    es: "probar: el puerto {port} ya está en uso en 127.0.0.1: pará lo que lo usa, o elegí " +
      "otro con --port",
    en: "probar: port {port} is already in use on 127.0.0.1: stop what uses it, or pick " +
      "another with --port",
  },
  "out.cannot-run": {
    es: "probar: no se pudo ejecutar `{command}`: {error}",
    en: "probar: cannot run `{command}`: {error}",
  },
  "out.client.exit": {
    es: "tu cliente terminó con código {code}",
    en: "your client exited with code {code}",
  },
  "out.client.killed": {
    es: "tu cliente seguía andando: lo corté",
    en: "your client was still running: stopped it",
  },
  "out.client.stderr": { es: "su error: {stderr}", en: "its error: {stderr}" },
  "out.client.where": { es: "{file}, línea {line}", en: "{file}, line {line}" },
  "out.datagram-from": { es: "desde {from}", en: "from {from}" },

  // parts of diagnoses
  "param.after-first-left": {
    es: ", y recibió su eco recién cuando el primero se fue",
    en: ", and got its echo only once the first left",
  },
  "param.server-ended": { es: " (tu servidor terminó)", en: " (your server ended)" },
  "param.server-listens": {
    es: " (tu servidor sigue escuchando, pero no reenvía)",
    en: " (your server still listens, but relays nothing)",
  },
  "param.and": { es: "y", en: "and" },
  "param.connecting": { es: "conectarse", en: "connecting" },
  "param.sending": { es: "mandar un datagrama", en: "sending a datagram" },

  // --lista: the teacher's table for a class
  "lista.header": {
    es: "probar {kind}: {count} servidores de {file}, de a {parallel}",
    en: "probar {kind}: {count} servers from {file}, {parallel} at a time",
  },
  "lista.col.who": { es: "quién", en: "who" },
  "lista.col.address": { es: "dirección", en: "address" },
  "lista.col.passed": { es: "pasaron", en: "passed" },
  "lista.col.first": { es: "primera falla", en: "first failure" },
  "lista.none": { es: "-", en: "-" },
  "lista.refused": { es: "nada escucha", en: "nothing listens" },
  "lista.timeout": { es: "nadie contesta", en: "nobody answers" },
  "lista.unreachable": { es: "sin camino", en: "no route" },
  "lista.name": { es: "no se puede conectar", en: "cannot connect" },
  "lista.summary": {
    es: "{all} de {count} servidores pasaron todo",
    en: "{all} of {count} servers passed everything",
  },
  "lista.empty": {
    es: "probar: {file} no tiene ninguna línea HOST:PUERTO",
    en: "probar: {file} has no HOST:PORT line",
  },
  "lista.bad-line": {
    es: "probar: {file}, línea {line}: se esperaba HOST:PUERTO (o NOMBRE HOST:PUERTO): {text}",
    en: "probar: {file}, line {line}: expected HOST:PORT (or NAME HOST:PORT): {text}",
  },
  "lista.cannot-read": {
    es: "probar: no se puede leer {file}: {error}",
    en: "probar: cannot read {file}: {error}",
  },

  // --tabla: the checks of one kind, as a table
  "tabla.col.check": { es: "prueba", en: "check" },
  "tabla.col.title": { es: "qué revisa", en: "what it checks" },
  "tabla.col.sends": { es: "qué manda o hace", en: "what it sends or does" },
  "tabla.col.expects": { es: "qué tiene que volver", en: "what must come back" },
  "tabla.col.diagnoses": { es: "diagnósticos", en: "diagnoses" },

  // usage
  "usage": {
    es: `uso: deno task probar TIPO HOST:PUERTO          prueba tu servidor, ya andando
     deno task probar TIPO --lista ARCHIVO       prueba cada HOST:PUERTO del archivo (una clase)
     deno task probar cliente-TIPO -- COMANDO...  corre tu cliente contra un servidor de prueba
     deno task probar TIPO --tabla                muestra las pruebas de TIPO
  TIPO de servidor: saludo, eco, udp, chat; de cliente: cliente-saludo, cliente-eco, cliente-udp
  --port P     puerto del servidor de prueba para los clientes (21042)
  --json       una línea JSON por prueba, para otros programas (siempre igual, en cualquier idioma)
  --lang L     idioma: es o en (si no, el del sistema)
  --plazo S    segundos que espera cada paso antes de darlo por fallado (3)
ejemplos: deno task probar eco 127.0.0.1:21042
          deno task probar cliente-eco -- python3 eco_cliente.py
salida: 0 si pasó todo, 1 si falló alguna prueba, 2 si el uso está mal o nada escucha ahí`,
    en: `usage: deno task probar KIND HOST:PORT          checks your server, already running
       deno task probar KIND --lista FILE         checks each HOST:PORT in the file (a class)
       deno task probar cliente-KIND -- COMMAND... runs your client against a test server
       deno task probar KIND --tabla              shows the checks of KIND
  server KIND: saludo, eco, udp, chat; client KIND: cliente-saludo, cliente-eco, cliente-udp
  --port P     port of the test server for clients (21042)
  --json       one JSON line per check, for other programs (always the same, in any language)
  --lang L     language: es or en (otherwise the system's)
  --plazo S    seconds each step waits before it counts as failed (3)
examples: deno task probar eco 127.0.0.1:21042
          deno task probar cliente-eco -- python3 eco_cliente.py
exit: 0 if everything passed, 1 if a check failed, 2 for bad usage or nothing listening there`,
  },
  "usage.error": {
    es: "probar: {error} (--help: cómo se usa)",
    en: "probar: {error} (--help: usage)",
  },
  "usage.kind": {
    es: "¿qué probar? un tipo: saludo, eco, udp, chat, cliente-saludo, cliente-eco, cliente-udp",
    en: "what to check? a kind: saludo, eco, udp, chat, cliente-saludo, cliente-eco, cliente-udp",
  },
  "usage.unknown-kind": {
    es: 'no conozco el tipo "{kind}": saludo, eco, udp, chat, cliente-saludo, cliente-eco, ' +
      "cliente-udp",
    en: 'unknown kind "{kind}": saludo, eco, udp, chat, cliente-saludo, cliente-eco, cliente-udp',
  },
  "usage.address": {
    es: "falta HOST:PUERTO del servidor (por ejemplo 127.0.0.1:21042)",
    en: "HOST:PORT of the server is missing (for example 127.0.0.1:21042)",
  },
  "usage.bad-address": {
    es: '"{text}" no es HOST:PUERTO (por ejemplo 127.0.0.1:21042, o [::1]:21042)',
    en: '"{text}" is not HOST:PORT (for example 127.0.0.1:21042, or [::1]:21042)',
  },
  "usage.command": {
    es: "falta el comando de tu cliente, después de --: deno task probar {kind} -- python3 " +
      "mi_cliente.py",
    en: "your client's command is missing, after --: deno task probar {kind} -- python3 " +
      "my_client.py",
  },
  "usage.dashdash": {
    es: "poné -- antes del comando de tu cliente: deno task probar {kind} -- deno run " +
      "--allow-net mi_cliente.ts",
    en: "put -- before your client's command: deno task probar {kind} -- deno run --allow-net " +
      "my_client.ts",
  },
  "usage.extra": {
    es: 'sobra "{text}": {kind} prueba un servidor ya andando, no corre un comando',
    en: '"{text}" is one too many: {kind} checks a running server, it runs no command',
  },
  "usage.lista-client": {
    es: "--lista es para servidores, no para cliente-*",
    en: "--lista is for servers, not for cliente-*",
  },
  "usage.port": {
    es: "--port tiene que ser un número de 1 a 65535",
    en: "--port must be a number from 1 to 65535",
  },
  "usage.plazo": {
    es: "--plazo tiene que ser un número de segundos, de 1 a 60",
    en: "--plazo must be a number of seconds, from 1 to 60",
  },
  "usage.lang": { es: "--lang tiene que ser es o en", en: "--lang must be es or en" },
  "usage.no-permission": {
    es: "probar: falta un permiso de Deno ({error}): corré deno task probar, que los da",
    en: "probar: a Deno permission is missing ({error}): run deno task probar, which grants them",
  },
} satisfies Record<string, Entry>;

export type TextKey = keyof typeof TEXTS;

/**
 * The diagnoses: what a failed check most likely means, in the student's terms (es, en), the fix
 * in Python and in Deno (code: the same in both languages), and the lesson's step to look at.
 */
type Diagnosis = Entry & { python: string; deno: string; step: string };

const LOOP_PY = `while True:
    data = c.recv(1024)
    if not data:
        break
    c.sendall(data)
c.close()`;
const LOOP_TS = `while (true) {
  const n = await conn.read(buffer);
  if (n === null) break;
  await enviarTodo(buffer.subarray(0, n));
}
conn.close();`;
const ECHO_PY = `c.sendall(data)`;
const ECHO_TS = `await enviarTodo(buffer.subarray(0, n));`;

export const DIAGNOSES = {
  // the server checks: eco
  "nada-vuelve": {
    es: "no volvió nada en {s} s: tu servidor recibe pero no devuelve, o espera algo más antes " +
      "de contestar (¿un recv() de más antes del send()?).",
    en: "nothing came back within {s} s: your server receives but does not send back, or waits " +
      "for something more before it answers (one recv() too many before send()?).",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "8",
  },
  "espera-el-cierre": {
    es: "el eco llegó recién cuando el cliente cerró su lado: tu servidor junta todo hasta el " +
      "final. Un eco devuelve cada pedazo apenas llega, dentro del bucle de recv().",
    en: "the echo came only once the client closed its side: your server gathers everything " +
      "until the end. An echo sends back each piece as it arrives, inside the recv() loop.",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "8",
  },
  "cierra-sin-eco": {
    es: "tu servidor cerró la conexión sin devolver nada. Fijate en su terminal: ¿terminó con " +
      "un error?",
    en: "your server closed the connection without sending anything back. Look at its " +
      "terminal: did it end with an error?",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "8",
  },
  "texto-agregado": {
    es: "volvió lo que mandé, pero con texto agregado ({extra}): un eco devuelve exactamente " +
      "los bytes que recibe. Un saludo al conectar está bien, si es una línea entera (termina " +
      "en \\n) y llega antes del primer eco.",
    en: "what I sent came back, but with text added ({extra}): an echo sends back exactly the " +
      "bytes it receives. A greeting on connecting is fine, if it is a whole line (ending in " +
      "\\n) and comes before the first echo.",
    python: ECHO_PY,
    deno: ECHO_TS,
    step: "8",
  },
  "otra-cosa": {
    es: "volvió algo distinto de lo que mandé: un eco devuelve los mismos bytes, sin " +
      "cambiarlos (¿decode(), upper(), strip()?).",
    en: "something other than what I sent came back: an echo sends back the same bytes, " +
      "unchanged (decode(), upper(), strip()?).",
    python: ECHO_PY,
    deno: ECHO_TS,
    step: "8",
  },
  "solo-un-mensaje": {
    es: "tu servidor devolvió el primer mensaje pero no el siguiente: tomaste un mensaje como " +
      'toda la conversación. Repetí recv() y sendall() hasta que recv() devuelva b"" (el ' +
      "cliente cerró), y recién ahí cerrá.",
    en: "your server sent back the first message but not the next: you took one message as " +
      'the whole conversation. Repeat recv() and sendall() until recv() returns b"" (the ' +
      "client closed), and only then close.",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "8",
  },
  "un-solo-recv": {
    es: "el mensaje volvió cortado ({got} de {sent} bytes): tomaste un recv() como " +
      "un mensaje entero. TCP es un flujo de bytes: un mensaje largo, o mandado en pedazos, " +
      "llega en varios recv(). Devolvé cada pedazo y seguí leyendo.",
    en: "the message came back cut ({got} of {sent} bytes): you took one recv() as a " +
      "whole message. TCP is a stream of bytes: a long message, or one sent in pieces, " +
      "arrives in several recv() calls. Send back each piece and keep reading.",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "8",
  },
  "uno-por-vez": {
    es: "el segundo cliente no recibió nada mientras el primero seguía conectado{after}: tu " +
      "servidor atiende a un cliente por vez. Atendé cada conexión aparte (un hilo en Python; " +
      "en Deno, sin await) y volvé enseguida a accept().",
    en: "the second client got nothing while the first was still connected{after}: your " +
      "server serves one client at a time. Serve each connection on its own (a thread in " +
      "Python; in Deno, without await) and go straight back to accept().",
    python: `c, addr = s.accept()
threading.Thread(target=atender, args=(c,)).start()`,
    deno: `const conn = await listener.accept();
atender(conn).catch((error) => console.log(error));`,
    step: "7",
  },
  "caracter-partido": {
    es: "un carácter que llegó partido en dos recv() (la é son 2 bytes) volvió cambiado, o " +
      "cortó la conexión: tu servidor convierte cada pedazo a texto por separado. Devolvé los " +
      "bytes como llegan, sin decode() ni encode().",
    en: "a character that arrived split across two recv() calls (é is 2 bytes) came back " +
      "changed, or ended the connection: your server turns each piece into text on its own. " +
      "Send back the bytes as they arrive, with no decode() or encode().",
    python: ECHO_PY,
    deno: ECHO_TS,
    step: "8",
  },
  "no-utf8": {
    es: "bytes que no son texto UTF-8 volvieron cambiados, o cortaron la conexión: tu servidor " +
      "los pasa a texto y de vuelta a bytes. Un socket lleva bytes, no texto: devolvé lo que " +
      "recibiste tal cual.",
    en: "bytes that are not UTF-8 text came back changed, or ended the connection: your " +
      "server turns them into text and back into bytes. A socket carries bytes, not text: " +
      "send back what you received as it is.",
    python: ECHO_PY,
    deno: ECHO_TS,
    step: "8",
  },
  "cambia-lineas": {
    es: "los fines de línea o los espacios volvieron cambiados: ¿strip(), split(), print(), o " +
      "un \\n agregado? Un eco no toca los bytes: \\r\\n vuelve \\r\\n, y una línea vacía " +
      "vuelve vacía.",
    en: "line ends or spaces came back changed: strip(), split(), print(), or a \\n added? " +
      "An echo does not touch the bytes: \\r\\n comes back \\r\\n, and an empty line comes " +
      "back empty.",
    python: ECHO_PY,
    deno: ECHO_TS,
    step: "8",
  },
  "send-ignorado": {
    es: "faltan {missing} bytes en el medio: en la línea {line}, lo que volvió saltó a la línea " +
      "{next}. Tu servidor manda con send() o write() y no mira cuántos bytes salieron: con un " +
      "cliente que lee despacio, cada envío manda solo una parte. En Python, sendall(); en " +
      "Deno, repetí write() hasta mandar todo.",
    en: "{missing} bytes are missing in the middle: at line {line}, what came back jumped to " +
      "line {next}. Your server sends with send() or write() and ignores how many bytes went " +
      "out: to a client that reads slowly, each send sends only part. In Python, sendall(); " +
      "in Deno, repeat write() until all is sent.",
    python: `c.sendall(data)`,
    deno: `for (let i = 0; i < datos.length;) i += await conn.write(datos.subarray(i));`,
    step: "8",
  },
  "corta-mucho": {
    es: "tu servidor cerró la conexión después de devolver {got} de {sent} bytes: fijate en su " +
      "terminal. ¿Un error con un cliente que lee despacio?",
    en: "your server closed the connection after sending back {got} of {sent} bytes: look at " +
      "its terminal. An error with a client that reads slowly?",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "8",
  },
  "se-traba": {
    es: "tu servidor dejó de devolver después de {got} de {sent} bytes, y no siguió en {s} s: " +
      "se quedó esperando algo. ¿Espera leer una línea entera con un buffer que no alcanza?",
    en: "your server stopped sending back after {got} of {sent} bytes, and did not go on " +
      "within {s} s: it is waiting for something. Does it wait for a whole line with a buffer " +
      "too small for it?",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "8",
  },
  "no-cierra": {
    es: "volvió el eco, pero tu servidor no cerró después de que el cliente terminó: ese " +
      'cliente espera para siempre. Cuando recv() devuelve b"" (en Deno, read() devuelve ' +
      "null), salí del bucle y cerrá la conexión.",
    en: "the echo came back, but your server did not close after the client was done: that " +
      'client waits for ever. When recv() returns b"" (in Deno, read() returns null), leave ' +
      "the loop and close the connection.",
    python: LOOP_PY,
    deno: `try {
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    // ...
  }
} finally {
  conn.close();
}`,
    step: "9",
  },
  "pierde-lo-ultimo": {
    es: "tu servidor cerró sin devolver la última línea, la que llegó justo antes del fin: " +
      "devolvé todo lo que recibiste antes de cerrar.",
    en: "your server closed without sending back the last line, the one that came just before " +
      "the end: send back all you received before closing.",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "9",
  },
  "muere-tras-corte": {
    es: "después de que un cliente se cortó de golpe, tu servidor dejó de andar: el error de un " +
      "cliente (ConnectionResetError, BrokenPipeError) lo terminó. Fijate en su terminal. " +
      "Atrapá los errores de cada cliente, para que terminen solo esa conexión.",
    en: "after a client dropped abruptly, your server stopped: one client's error " +
      "(ConnectionResetError, BrokenPipeError) ended it. Look at its terminal. Catch each " +
      "client's errors, so that they end only that connection.",
    python: `try:
    atender(c)
except OSError as error:
    print(error)
finally:
    c.close()`,
    deno: `atender(conn).catch((error) => console.log(error));`,
    step: "7",
  },
  "no-atiende-tras-corte": {
    es: "después de que un cliente se cortó de golpe, tu servidor sigue escuchando pero no " +
      "contesta en {s} s: ¿quedó trabado con ese cliente? Cuando recv() o send() fallan, " +
      "cerrá esa conexión y seguí con las otras.",
    en: "after a client dropped abruptly, your server still listens but does not answer " +
      "within {s} s: is it stuck with that client? When recv() or send() fail, close that " +
      "connection and go on with the others.",
    python: `try:
    atender(c)
except OSError as error:
    print(error)
finally:
    c.close()`,
    deno: `atender(conn).catch((error) => console.log(error));`,
    step: "7",
  },
  "murio": {
    es: "tu servidor dejó de escuchar después de la prueba {previous}: terminó. Fijate en su " +
      "terminal: el error está ahí.",
    en: "your server stopped listening after the check {previous}: it ended. Look at its " +
      "terminal: the error is there.",
    python: LOOP_PY,
    deno: LOOP_TS,
    step: "7",
  },

  // the server checks: saludo
  "saludo-nada": {
    es: "no llegó nada en {s} s: tu servidor acepta pero no manda el mensaje, o espera que el " +
      "cliente mande algo primero.",
    en: "nothing arrived within {s} s: your server accepts but does not send the message, or " +
      "waits for the client to send something first.",
    python: `c, addr = s.accept()
c.send(b"hola\\n")
c.close()`,
    deno: `const conn = await listener.accept();
await conn.write(new TextEncoder().encode("hola\\n"));
conn.close();`,
    step: "8",
  },
  "saludo-no-cierra": {
    es: "llegó el mensaje, pero tu servidor no cerró la conexión en {s} s: el cliente no sabe " +
      "que terminó y espera para siempre. Después de mandar, cerrá la conexión con ese cliente.",
    en: "the message arrived, but your server did not close the connection within {s} s: the " +
      "client cannot tell it is over and waits for ever. After sending, close the connection " +
      "with that client.",
    python: `c.send(b"hola\\n")
c.close()`,
    deno: `await conn.write(new TextEncoder().encode("hola\\n"));
conn.close();`,
    step: "9",
  },
  "saludo-cierra-sin-mensaje": {
    es: "tu servidor cerró sin mandar nada: ¿falta el send() antes del close()?",
    en: "your server closed without sending anything: is send() missing before close()?",
    python: `c.send(b"hola\\n")
c.close()`,
    deno: `await conn.write(new TextEncoder().encode("hola\\n"));
conn.close();`,
    step: "8",
  },
  "atiende-uno-solo": {
    es: "el primer cliente recibió el mensaje, pero el siguiente no: tu servidor atendió a uno " +
      "solo y terminó. Poné accept() en un bucle, así atiende a uno después de otro.",
    en: "the first client got the message, but the next did not: your server served one client " +
      "and ended. Put accept() in a loop, so that it serves one after another.",
    python: `while True:
    c, addr = s.accept()
    c.send(b"hola\\n")
    c.close()`,
    deno: `while (true) {
  const conn = await listener.accept();
  await conn.write(new TextEncoder().encode("hola\\n"));
  conn.close();
}`,
    step: "7",
  },
  "saludo-otra-vez-nada": {
    es: "el siguiente cliente no recibió nada en {s} s: tu servidor no volvió a accept() " +
      "después del primero.",
    en: "the next client got nothing within {s} s: your server did not go back to accept() " +
      "after the first.",
    python: `while True:
    c, addr = s.accept()
    c.send(b"hola\\n")
    c.close()`,
    deno: `while (true) {
  const conn = await listener.accept();
  await conn.write(new TextEncoder().encode("hola\\n"));
  conn.close();
}`,
    step: "7",
  },

  // the server checks: udp
  "udp-sin-respuesta": {
    es: "no llegó ninguna respuesta en {tries} intentos: ¿anda tu servidor UDP en ese puerto? " +
      "UDP no avisa: si nadie escucha, o si tu servidor contesta a otra dirección, el cliente " +
      "solo ve silencio. Contestá a la dirección que te dio recvfrom().",
    en: "no reply came in {tries} tries: is your UDP server running on that port? UDP never " +
      "tells: if nobody listens, or if your server replies to another address, the client " +
      "sees only silence. Reply to the address recvfrom() gave you.",
    python: `data, addr = s.recvfrom(65507)
s.sendto(data, addr)`,
    deno: `for await (const [datos, quien] of socket) {
  await socket.send(datos, quien);
}`,
    step: "8",
  },
  "otro-remitente": {
    es: "la respuesta llegó desde {from}, no desde {server}: tu servidor contesta con otro " +
      "socket. Un cliente que espera la respuesta del servidor no la reconoce (udp_client.ts " +
      "la ignora). Contestá con el mismo socket que recibió el datagrama.",
    en: "the reply came from {from}, not from {server}: your server replies with another " +
      "socket. A client waiting for the server's reply does not recognise it (udp_client.ts " +
      "ignores it). Reply with the same socket that received the datagram.",
    python: `data, addr = s.recvfrom(65507)
s.sendto(data, addr)`,
    deno: `const [datos, quien] = await socket.receive();
await socket.send(datos, quien);`,
    step: "8",
  },
  "udp-otra-cosa": {
    es: "volvió otro datagrama: un eco UDP devuelve el mismo datagrama, byte por byte.",
    en: "another datagram came back: a UDP echo sends back the same datagram, byte for byte.",
    python: `s.sendto(data, addr)`,
    deno: `await socket.send(datos, quien);`,
    step: "8",
  },
  "datagrama-cortado": {
    es: "el datagrama de {sent} bytes volvió con {got}: tu recvfrom() pide pocos bytes, y UDP " +
      "descarta en silencio lo que no entra. Pedí 65507, lo más que lleva un datagrama.",
    en: "the datagram of {sent} bytes came back with {got}: your recvfrom() asks for too few " +
      "bytes, and UDP silently drops what does not fit. Ask for 65507, the most a datagram " +
      "holds.",
    python: `data, addr = s.recvfrom(65507)`,
    deno: `const [datos, quien] = await socket.receive();`,
    step: "7",
  },
  "udp-grande-sin-respuesta": {
    es: "el datagrama de {sent} bytes no volvió, y los cortos sí: ¿tu servidor falla con " +
      "datagramas grandes? Fijate en su terminal, y pedí 65507 bytes en recvfrom().",
    en: "the datagram of {sent} bytes did not come back, while short ones do: does your server " +
      "fail on large datagrams? Look at its terminal, and ask recvfrom() for 65507 bytes.",
    python: `data, addr = s.recvfrom(65507)`,
    deno: `const [datos, quien] = await socket.receive();`,
    step: "7",
  },
  "responde-a-otro": {
    es: "la respuesta al segundo cliente le llegó al primero: tu servidor contesta siempre a la " +
      "misma dirección (¿la guardaste del primer datagrama?). Cada datagrama trae quién lo " +
      "mandó: contestale a ese.",
    en: "the reply to the second client reached the first: your server always replies to the " +
      "same address (did you keep it from the first datagram?). Each datagram says who sent " +
      "it: reply to that one.",
    python: `while True:
    data, addr = s.recvfrom(65507)
    s.sendto(data, addr)`,
    deno: `for await (const [datos, quien] of socket) {
  await socket.send(datos, quien);
}`,
    step: "8",
  },
  "udp-dos-sin-respuesta": {
    es: "el segundo cliente no recibió respuesta en {tries} intentos, y el primero sí: ¿tu " +
      "servidor contesta solo a un cliente?",
    en: "the second client got no reply in {tries} tries, while the first did: does your " +
      "server answer only one client?",
    python: `while True:
    data, addr = s.recvfrom(65507)
    s.sendto(data, addr)`,
    deno: `for await (const [datos, quien] of socket) {
  await socket.send(datos, quien);
}`,
    step: "8",
  },

  // the server checks: chat
  "chat-no-llega": {
    es: "la línea de {from} no les llegó a {missing} en {s} s: tu servidor tiene que mandar " +
      "cada línea a todos los otros miembros (guardá cada conexión en una lista al aceptarla, " +
      "y atendé a cada uno aparte).",
    en: "{from}'s line did not reach {missing} within {s} s: your server must send each line " +
      "to every other member (keep each connection in a list when you accept it, and serve " +
      "each one on its own).",
    python: `for otro in clientes:
    if otro is not c:
        otro.sendall(data)`,
    deno: `for (const otro of miembros) {
  if (otro !== conn) await enviarTodo(otro, datos);
}`,
    step: "8",
  },
  "linea-partida": {
    es: "la línea mandada en pedazos llegó partida ({got}): tu servidor reenvía cada recv() " +
      "por separado, con el nombre adelante. Juntá los bytes hasta el \\n y reenviá la línea " +
      "entera.",
    en: "the line sent in pieces arrived split ({got}): your server relays each recv() on its " +
      "own, with the name in front. Gather the bytes up to the \\n and relay the whole line.",
    python: `pendiente += data
while b"\\n" in pendiente:
    linea, pendiente = pendiente.split(b"\\n", 1)
    reenviar(nombre + b": " + linea + b"\\n")`,
    deno: `pendiente += decoder.decode(datos, { stream: true });
for (let fin; (fin = pendiente.indexOf("\\n")) !== -1;) {
  reenviar(\`\${nombre}: \${pendiente.slice(0, fin + 1)}\`);
  pendiente = pendiente.slice(fin + 1);
}`,
    step: "8",
  },
  "chat-muere": {
    es: "después de que un miembro se cortó de golpe, la sala dejó de andar{how}: mandarle a un " +
      "miembro que ya no está falla (BrokenPipeError, ConnectionResetError). Atrapá ese error, " +
      "sacá a ese miembro de la lista y seguí con los demás.",
    en: "after a member dropped abruptly, the room stopped working{how}: sending to a member " +
      "who is gone fails (BrokenPipeError, ConnectionResetError). Catch that error, take that " +
      "member off the list and go on with the others.",
    python: `for otro in list(clientes):
    try:
        otro.sendall(data)
    except OSError:
        clientes.remove(otro)`,
    deno: `await enviarTodo(otro, datos).catch(() => miembros.delete(otro));`,
    step: "8",
  },

  // the client checks
  "no-conecta": {
    es: "tu cliente terminó sin conectarse a {address}: ¿usa otra IP u otro puerto? Para esta " +
      "prueba tiene que conectarse a 127.0.0.1, puerto {port}.",
    en: "your client ended without connecting to {address}: does it use another IP or port? " +
      "For this check it must connect to 127.0.0.1, port {port}.",
    python: `s.connect(("127.0.0.1", {port}))`,
    deno: `await Deno.connect({ hostname: "127.0.0.1", port: {port} });`,
    step: "4",
  },
  "termina-antes": {
    es: "tu cliente terminó con un error (código {code}) antes de {what}: fijate en el error " +
      "que mostró, y en la línea que nombra.",
    en: "your client ended with an error (exit code {code}) before {what}: look at the error " +
      "it printed, and at the line it names.",
    python: `s = socket.socket()
s.connect(("127.0.0.1", {port}))`,
    deno: `const conn = await Deno.connect({ hostname: "127.0.0.1", port: {port} });`,
    step: "4",
  },
  "no-conecta-a-tiempo": {
    es: "tu cliente no se conectó a {address} en {s} s: ¿usa otra IP u otro puerto? ¿Espera que " +
      "escribas algo antes (input())?",
    en: "your client did not connect to {address} within {s} s: does it use another IP or " +
      "port? Does it wait for you to type something first (input())?",
    python: `s.connect(("127.0.0.1", {port}))`,
    deno: `await Deno.connect({ hostname: "127.0.0.1", port: {port} });`,
    step: "4",
  },
  "no-envia": {
    es: "tu cliente se conectó pero no mandó nada en {s} s: ¿falta el sendall()? ¿Espera " +
      "leer algo antes de mandar?",
    en: "your client connected but sent nothing within {s} s: is sendall() missing? Does it " +
      "wait to read something before it sends?",
    python: `s.sendall("hola\\n".encode())`,
    deno: `await conn.write(new TextEncoder().encode("hola\\n"));`,
    step: "5",
  },
  "no-imprime": {
    es: "tu cliente no mostró nada de lo que le llegó: mostrá lo que recibís.",
    en: "your client printed nothing of what it got: print what you receive.",
    python: `print(data.decode(), end="")`,
    deno: `await Deno.stdout.write(buffer.subarray(0, n));`,
    step: "5",
  },
  "un-recv-cliente": {
    es: "tu cliente mostró solo una parte de lo que llegó: tomaste un recv() como toda la " +
      "respuesta. El servidor la mandó en pedazos, con pausas, como puede pasar en cualquier " +
      'red: leé en un bucle hasta que recv() devuelva b"" (el servidor cerró).',
    en: "your client printed only part of what arrived: you took one recv() as the whole " +
      "reply. The server sent it in pieces, with pauses, as any network may: read in a loop " +
      'until recv() returns b"" (the server closed).',
    python: `while True:
    data = s.recv(1024)
    if not data:
        break
    print(data.decode(), end="")`,
    deno: `while (true) {
  const n = await conn.read(buffer);
  if (n === null) break;
  await Deno.stdout.write(buffer.subarray(0, n));
}`,
    step: "5",
  },
  "no-termina": {
    es: "el servidor cerró la conexión, pero tu cliente siguió andando {s} s más (lo corté): no " +
      'se da cuenta del cierre. Cuando recv() devuelve b"" (en Deno, read() devuelve null), ' +
      "salí del bucle y cerrá.",
    en: "the server closed the connection, but your client kept running {s} s more (stopped " +
      'it): it does not notice the end. When recv() returns b"" (in Deno, read() returns ' +
      "null), leave the loop and close.",
    python: `data = s.recv(1024)
if not data:
    break`,
    deno: `const n = await conn.read(buffer);
if (n === null) break;`,
    step: "6",
  },
  "termina-con-error": {
    es: "tu cliente terminó con código {code}: algo falló. Fijate en el error que mostró.",
    en: "your client exited with code {code}: something failed. Look at the error it printed.",
    python: `s.close()`,
    deno: `conn.close();`,
    step: "6",
  },
  "udp-no-envia": {
    es: "no llegó ningún datagrama de tu cliente a {address} en {s} s: ¿usa otra IP u otro " +
      "puerto? Para esta prueba tiene que mandarle a 127.0.0.1, puerto {port}.",
    en: "no datagram from your client reached {address} within {s} s: does it use another IP " +
      "or port? For this check it must send to 127.0.0.1, port {port}.",
    python: `s.sendto("hola".encode(), ("127.0.0.1", {port}))`,
    deno: `await socket.send(datos, { transport: "udp", hostname: "127.0.0.1", port: {port} });`,
    step: "5",
  },
  "udp-no-imprime": {
    es: "tu cliente no mostró la respuesta que le mandé ({reply}).",
    en: "your client did not print the reply I sent ({reply}).",
    python: `data, addr = s.recvfrom(65507)
print(data.decode())`,
    deno: `const [datos] = await socket.receive();
console.log(new TextDecoder().decode(datos));`,
    step: "5",
  },
  "udp-no-termina": {
    es: "tu cliente recibió la respuesta pero no terminó en {s} s (lo corté): ¿espera otra?",
    en: "your client got the reply but did not end within {s} s (stopped it): does it wait " +
      "for another?",
    python: `s.close()`,
    deno: `socket.close();`,
    step: "6",
  },
  "espera-para-siempre": {
    es: "esta vez no contesté, como si el datagrama se hubiera perdido, y tu cliente siguió " +
      "esperando {s} s (lo corté): UDP no avisa cuando algo se pierde. Poné un plazo a la " +
      "espera.",
    en: "this time I did not reply, as if the datagram had been lost, and your client kept " +
      "waiting {s} s (stopped it): UDP never tells you something was lost. Put a time limit " +
      "on the wait.",
    python: `s.settimeout(2)
try:
    data, addr = s.recvfrom(65507)
except socket.timeout:
    sys.exit(1)`,
    deno: `const reloj = setTimeout(() => plazo.resolve(null), 2000);
const respuesta = await Promise.race([socket.receive(), plazo.promise]);`,
    step: "5",
  },
} satisfies Record<string, Diagnosis>;

export type DiagnosisId = keyof typeof DIAGNOSES;
export type Params = Record<string, string | number>;

export function fill(text: string, params: Params = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name) => name in params ? `${params[name]}` : whole);
}

/** A message of the table, in `lang`, with its `{name}` parts filled in. */
export function t(lang: Lang, key: TextKey, params?: Params): string {
  return fill(TEXTS[key][lang], params);
}

/** The language: --lang if given, else Spanish when the system's starts with "es", else English. */
export function pickLang(flag: string | undefined): Lang | undefined {
  if (flag !== undefined) return flag === "es" || flag === "en" ? flag : undefined;
  return navigator.language?.toLowerCase().startsWith("es") ? "es" : "en";
}
