// Deno run as the user "nobody" (uid 65534, through setpriv), for the tests of what a user without
// rights sees. The checkout may sit in a folder that nobody cannot enter (a clone under a mode-700
// `mktemp -d` folder, a home directory), and so may the deno binary (`~/.deno/bin`): each run
// gets a folder that nobody can read, with copies of the scripts it needs, a copy of deno if
// nobody cannot reach the one running the tests, and a Deno cache of nobody's own.
import { type Finished, ROOT } from "./process.ts";

const NOBODY = 65534;

/** Why Deno cannot be run as nobody here (for a test's name and ignore), or "" if it can. */
export const WHY_NOT_NOBODY = await whyNot();

async function whyNot(): Promise<string> {
  if (Deno.build.os !== "linux") return "needs Linux, to run a process as the user nobody";
  const succeeds = async (command: string, args: string[]) => {
    try {
      const out = await new Deno.Command(command, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).output();
      return out.success ? new TextDecoder().decode(out.stdout) : undefined;
    } catch {
      return undefined; // not installed
    }
  };
  if ((await succeeds("id", ["-u"]))?.trim() !== "0") return "needs root, to run as nobody";
  if (await succeeds("setpriv", ["--version"]) === undefined) {
    return "needs setpriv (util-linux), to run as nobody";
  }
  const probe = await tempFolder();
  if (probe === undefined) {
    return "no folder for temporary files that nobody can enter (TMPDIR, /tmp)";
  }
  await Deno.remove(probe);
  return "";
}

/** True if every folder on the way to `path`, and `path` itself, lets others in (and read). */
function othersReach(path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const at = "/" + parts.slice(0, i).join("/");
    try {
      const { mode, uid } = Deno.statSync(at);
      const bits = uid === NOBODY ? (mode ?? 0) >> 6 : mode ?? 0;
      const wanted = i === parts.length ? 0o5 : 0o1; // the last one read too, the others entered
      if ((bits & wanted) !== wanted) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** A new temporary folder that nobody can enter, mode 755 (the caller removes it); or undefined. */
async function tempFolder(): Promise<string | undefined> {
  for (const dir of [undefined, "/tmp", "/var/tmp", "/dev/shm"]) {
    let folder: string;
    try {
      folder = await Deno.makeTempDir({ dir, prefix: "kit_nobody_" });
    } catch {
      continue;
    }
    await Deno.chmod(folder, 0o755);
    if (othersReach(folder)) return folder;
    await Deno.remove(folder, { recursive: true });
  }
  return undefined;
}

export interface NobodyFolder {
  /** The folder, where the copies are (by their base names), and the working folder of run(). */
  dir: string;
  /** The deno that nobody runs: the one running the tests, or a copy of it in `dir`. */
  deno: string;
  /** Run `deno ARGS` as nobody in `dir`, with a clean environment; killed after `timeoutMs`. */
  run(args: string[], timeoutMs?: number): Promise<Finished>;
  /** Remove the folder and everything in it. */
  remove(): Promise<void>;
}

/**
 * A folder that nobody can read, with copies of `files` (paths in the checkout, e.g.
 * "server.ts", "tools/lab.ts"; each copied under its base name), a Deno cache that nobody owns,
 * and a copy of deno if nobody cannot reach the one running the tests.
 */
export async function nobodyFolder(files: string[]): Promise<NobodyFolder> {
  if (WHY_NOT_NOBODY) throw new Error(`cannot run as nobody: ${WHY_NOT_NOBODY}`);
  const dir = (await tempFolder())!;
  try {
    for (const file of files) {
      const copy = `${dir}/${file.split("/").at(-1)}`;
      await Deno.copyFile(`${ROOT}${file}`, copy);
      await Deno.chmod(copy, 0o644);
    }
    const cache = `${dir}/home`;
    await Deno.mkdir(cache, { mode: 0o755 });
    await Deno.chown(cache, NOBODY, NOBODY);
    let deno = Deno.execPath();
    if (!othersReach(deno)) {
      deno = `${dir}/deno`;
      await Deno.copyFile(Deno.execPath(), deno);
      await Deno.chmod(deno, 0o755);
    }
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: cache,
      DENO_DIR: `${cache}/deno`,
      NO_COLOR: "1",
      LC_ALL: "C", // the tests read the English lines
    };
    return {
      dir,
      deno,
      async run(args: string[], timeoutMs = 60_000): Promise<Finished> {
        const { code, signal, stdout, stderr } = await new Deno.Command("setpriv", {
          args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", deno, ...args],
          cwd: dir,
          env,
          clearEnv: true,
          stdin: "null",
          signal: AbortSignal.timeout(timeoutMs),
        }).output();
        const decoder = new TextDecoder();
        return { code, signal, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
      },
      remove: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
