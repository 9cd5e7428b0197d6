// A port below 1024 without administrator rights: each server says so in one line.
// The servers run as the user "nobody" (setpriv), which only root can do, from a folder that
// nobody can read (tests/helpers/nobody.ts): elsewhere the test is ignored, and its name says why.
import assert from "node:assert/strict";
import { nobodyFolder, WHY_NOT_NOBODY } from "./helpers/nobody.ts";

if (WHY_NOT_NOBODY) console.log(`low_port_test.ts: IGNORED: ${WHY_NOT_NOBODY}`);

Deno.test({
  name: `port 80 as a user without rights: one line saying so, exit 1${
    WHY_NOT_NOBODY ? ` (ignored: ${WHY_NOT_NOBODY})` : ""
  }`,
  ignore: WHY_NOT_NOBODY !== "",
  fn: async () => {
    const scripts = ["server.ts", "chat_server.ts", "udp_server.ts"];
    const nobody = await nobodyFolder(scripts);
    try {
      for (const script of scripts) {
        const args = ["run", "--no-lock", "--allow-net", "--unstable-net", script];
        const refused = await nobody.run([...args, "--host", "127.0.0.1", "--port", "80"], 20_000);
        assert.equal(
          refused.stderr,
          `${script}: port 80 needs administrator rights (ports below 1024 do): ` +
            "pick one above 1024, such as 21042\n",
        );
        assert.equal(refused.code, 1, script);
        assert.equal(refused.stdout, "", script);
      }
    } finally {
      await nobody.remove();
    }
  },
});
