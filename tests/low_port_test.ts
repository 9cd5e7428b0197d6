// A port below 1024 without administrator rights: each server says so in one line (issue 11).
// The servers run as the user "nobody" (setpriv), which only root can do: elsewhere the test is
// ignored, and its name says why.
import assert from "node:assert/strict";
import { ROOT } from "./helpers/process.ts";

async function output(command: string, args: string[], env?: Record<string, string>) {
  try {
    const { code, stdout, stderr } = await new Deno.Command(command, {
      args,
      cwd: ROOT,
      env,
      clearEnv: env !== undefined,
      stdin: "null",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code, stdout: decode(stdout), stderr: decode(stderr) };
  } catch (error) {
    return { code: -1, stdout: "", stderr: (error as Error).message };
  }
}

const root = (await output("id", ["-u"])).stdout.trim() === "0";
const setpriv = (await output("setpriv", ["--version"])).code === 0;
const why = !root ? "not root" : !setpriv ? "no setpriv" : "";

Deno.test({
  name: `port 80 as a user without rights: one line saying so, exit 1${
    why ? ` (ignored: ${why}, cannot run a server as nobody)` : ""
  }`,
  ignore: why !== "",
  fn: async () => {
    // nobody's own Deno cache: it cannot write root's.
    const cache = await Deno.makeTempDir();
    try {
      await Deno.chmod(cache, 0o777);
      const nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Deno.execPath()];
      const env = { PATH: "/usr/bin:/bin", HOME: cache, DENO_DIR: cache, NO_COLOR: "1" };
      for (const script of ["server.ts", "chat_server.ts", "udp_server.ts"]) {
        const args = ["run", "--no-lock", "--allow-net", "--unstable-net", script];
        const refused = await output("setpriv", [
          ...nobody,
          ...args,
          "--host",
          "127.0.0.1",
          "--port",
          "80",
        ], env);
        assert.equal(
          refused.stderr,
          `${script}: port 80 needs administrator rights (ports below 1024 do): ` +
            "pick one above 1024, such as 21042\n",
        );
        assert.equal(refused.code, 1, script);
        assert.equal(refused.stdout, "", script);
      }
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
});
