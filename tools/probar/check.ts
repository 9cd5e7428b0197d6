// What a check is and what it reports, for tools/probar/servers.ts and clients.ts.
import type { DiagnosisId, TextKey } from "./messages.ts";
import type { End } from "./net.ts";

/** A value to fill into a diagnosis: as it is, a message of the table, or a list ("B y C"). */
export type Param = string | number | { key: TextKey } | { list: string[] };

/** What one check found. Bytes are kept as bytes: the report shows them escaped. */
export interface Outcome {
  ok: boolean;
  diagnosis?: DiagnosisId;
  params?: Record<string, Param>;
  /** What the checker sent, and what came back (or what the client printed), and how it ended. */
  sent?: Uint8Array;
  got?: Uint8Array;
  end?: End | "refused";
  printed?: Uint8Array;
  /** How the client under test ended: its exit code, or killed by the checker. */
  exit?: { code: number | null; killed: boolean; stderr: Uint8Array };
  /** For a passed eco check: the greeting that came before the echo. */
  greeting?: Uint8Array;
  /** Where a datagram came from, when that is the point. */
  from?: string;
}

export interface Result extends Outcome {
  check: string;
  /** Set when the check did not run: the check that had to pass first. */
  skipped?: string;
  ms: number;
}

/**
 * One check: its name (also its texts' prefix in the message table: NAME.title, NAME.sends,
 * NAME.expects), the checks that must pass first, the diagnoses it can give, and how it runs.
 */
export interface Check<Context> {
  name: string;
  needs?: string[];
  diagnoses: DiagnosisId[];
  run: (context: Context) => Promise<Outcome>;
}

export const pass = (more: Partial<Outcome> = {}): Outcome => ({ ok: true, ...more });

export const fail = (diagnosis: DiagnosisId, more: Partial<Outcome> = {}): Outcome => ({
  ok: false,
  diagnosis,
  ...more,
});

/** A short random tag, so that what one run sends is never taken for another's. */
export function newTag(): string {
  return crypto.getRandomValues(new Uint8Array(3)).reduce(
    (text, byte) => text + byte.toString(16).padStart(2, "0"),
    "",
  );
}
