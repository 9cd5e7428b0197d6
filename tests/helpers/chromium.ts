// A headless Chromium driven over the DevTools protocol (CDP) with Deno's own WebSocket: no
// library. Started with a fresh profile in a temporary folder and --remote-debugging-port=0; the
// port it picked is read from that folder's DevToolsActivePort file. Every wait has a deadline.
import { delay, TimedOut, within } from "./io.ts";

/** The system's Chromium (Debian: apt-get install chromium), or undefined if there is none. */
export function findChromium(): string | undefined {
  const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  for (const dir of dirs) {
    for (const name of names) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch { /* not here */ }
    }
  }
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--disable-crash-reporter",
  "--hide-scrollbars",
  "--mute-audio",
  "--remote-debugging-port=0",
];

type Json = Record<string, unknown>;
interface Waiter {
  method: string;
  sessionId?: string;
  resolve: (params: Json) => void;
}

export class Browser {
  #ws: WebSocket;
  #child: Deno.ChildProcess;
  #profile: string;
  #stderr: Promise<string>;
  #next = 1;
  #pending = new Map<number, { resolve: (r: Json) => void; reject: (e: Error) => void }>();
  #waiters: Waiter[] = [];
  #closed: Promise<void>;

  private constructor(
    ws: WebSocket,
    child: Deno.ChildProcess,
    profile: string,
    stderr: Promise<string>,
  ) {
    this.#ws = ws;
    this.#child = child;
    this.#profile = profile;
    this.#stderr = stderr;
    this.#closed = new Promise((resolve) => ws.addEventListener("close", () => resolve()));
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(event.data as string);
      if (typeof message.id === "number") {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) pending?.reject(new Error(`CDP: ${JSON.stringify(message.error)}`));
        else pending?.resolve(message.result ?? {});
        return;
      }
      for (const waiter of [...this.#waiters]) {
        if (waiter.method === message.method && waiter.sessionId === message.sessionId) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(message.params ?? {});
        }
      }
    });
    ws.addEventListener("close", () => {
      for (const pending of this.#pending.values()) pending.reject(new Error("CDP: closed"));
      this.#pending.clear();
    });
  }

  /** Start Chromium and connect to it; `ms` bounds the start. */
  static async launch(path: string, ms = 60_000): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "kit-chromium-" });
    const child = new Deno.Command(path, {
      args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Keep only the end of what it says (dbus complaints and the like), for error messages.
    const stderr = (async () => {
      let text = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        text = (text + decoder.decode(chunk, { stream: true })).slice(-4000);
      }
      return text;
    })();
    let exited = false;
    const status = child.status.then(() => exited = true);
    try {
      const deadline = Date.now() + ms;
      let port = "", target = "";
      while (!port) {
        if (exited) throw new Error(`chromium exited at start:\n${await stderr}`);
        if (Date.now() > deadline) throw new Error(`chromium did not start in ${ms} ms`);
        try {
          const [first, second] = (await Deno.readTextFile(`${profile}/DevToolsActivePort`))
            .split("\n");
          if (first && second) port = first, target = second;
        } catch { /* not written yet */ }
        if (!port) await delay(50);
      }
      const ws = new WebSocket(`ws://127.0.0.1:${port}${target}`);
      await within(
        new Promise<void>((resolve, reject) => {
          ws.addEventListener("open", () => resolve());
          ws.addEventListener("error", () => reject(new Error("CDP: could not connect")));
        }),
        Math.max(1000, deadline - Date.now()),
        "the DevTools WebSocket to open",
      );
      return new Browser(ws, child, profile, stderr);
    } catch (error) {
      if (!exited) child.kill("SIGKILL");
      await status;
      await stderr;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** Send a command (to a page's session if given); fails after `ms`. */
  send(method: string, params: Json = {}, sessionId?: string, ms = 30_000): Promise<Json> {
    const id = this.#next++;
    const result = new Promise<Json>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return within(result, ms, `CDP ${method}`).finally(() => this.#pending.delete(id));
  }

  /** The next event of this name (from this session); call before what causes it. */
  event(method: string, sessionId?: string, ms = 30_000): Promise<Json> {
    return this.expect(method, sessionId, ms).got;
  }

  /**
   * The next event of this name, and a way to stop waiting for it (its timer cleared, its promise
   * left pending and never rejected) when it turns out not to come.
   */
  expect(method: string, sessionId?: string, ms = 30_000) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiter: Waiter | undefined;
    const forget = () => {
      clearTimeout(timer);
      const at = this.#waiters.indexOf(waiter!);
      if (at !== -1) this.#waiters.splice(at, 1);
    };
    const got = new Promise<Json>((resolve, reject) => {
      waiter = {
        method,
        sessionId,
        resolve: (params) => (forget(), resolve(params)),
      };
      this.#waiters.push(waiter);
      timer = setTimeout(() => {
        forget();
        reject(new TimedOut(`CDP event ${method} (waited ${ms} ms)`));
      }, ms);
    });
    return { got, cancel: forget };
  }

  /** A new tab, attached. */
  async newPage(): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, sessionId as string);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    return page;
  }

  /** Close Chromium (killed if it does not go in 15 s) and remove its profile. */
  async close(): Promise<void> {
    let exited = false;
    const status = this.#child.status.then(() => exited = true);
    try {
      await this.send("Browser.close", {}, undefined, 15_000);
    } catch { /* it may close the socket before it answers */ }
    const timer = setTimeout(() => {
      if (!exited) this.#child.kill("SIGKILL");
    }, 15_000);
    await status;
    clearTimeout(timer);
    if (this.#ws.readyState !== WebSocket.CLOSED) {
      this.#ws.close();
      await within(this.#closed, 15_000, "the DevTools WebSocket to close").catch(() => {});
    }
    await this.#stderr;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

export class Page {
  constructor(readonly browser: Browser, readonly sessionId: string) {}

  send(method: string, params: Json = {}, ms?: number): Promise<Json> {
    return this.browser.send(method, params, this.sessionId, ms);
  }

  event(method: string, ms?: number): Promise<Json> {
    return this.browser.event(method, this.sessionId, ms);
  }

  /**
   * Load a URL and wait for its load event; a URL that differs from the page's only after "#"
   * loads nothing (no loaderId comes back), and there is nothing to wait for.
   */
  async go(url: string): Promise<void> {
    const loaded = this.browser.expect("Page.loadEventFired", this.sessionId);
    try {
      const { loaderId } = await this.send("Page.navigate", { url });
      if (loaderId) await loaded.got;
    } finally {
      loaded.cancel();
    }
  }

  /** The value of a JavaScript expression in the page (awaited if it is a promise). */
  async eval<T>(expression: string): Promise<T> {
    const reply = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (reply.exceptionDetails) {
      throw new Error(`in the page: ${JSON.stringify(reply.exceptionDetails).slice(0, 800)}`);
    }
    return (reply.result as { value: T }).value;
  }

  /** The page as a CSS-pixel viewport of this size. */
  async size(width: number, height: number): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
  }

  /** A key pressed and released, as a person would (the page sees keydown and keyup). */
  async key(key: string, code: string, keyCode: number, text?: string): Promise<void> {
    const base = { key, code, windowsVirtualKeyCode: keyCode, nativeVirtualKeyCode: keyCode };
    await this.send("Input.dispatchKeyEvent", {
      type: "keyDown",
      ...base,
      ...(text ? { text } : {}),
    });
    await this.send("Input.dispatchKeyEvent", { type: "keyUp", ...base });
  }

  async screenshot(path: string): Promise<void> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    await Deno.writeFile(path, Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0)));
  }

  /** The page printed as a PDF (its CSS page size), as bytes. */
  async pdf(options: Json = {}): Promise<Uint8Array> {
    const { data } = await this.send(
      "Page.printToPDF",
      { preferCSSPageSize: true, printBackground: true, ...options },
      120_000,
    );
    return Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0));
  }
}

/** How many pages a PDF has (its page objects, "/Type /Page" but not "/Pages"). */
export function pdfPages(pdf: Uint8Array): number {
  const text = new TextDecoder("latin1").decode(pdf);
  return [...text.matchAll(/\/Type\s*\/Page(?![a-zA-Z])/g)].length;
}
