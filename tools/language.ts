// The language a tool speaks to a person, Spanish or English, and how it passes it on to the
// scripts it starts (docs/language.md). Each tool keeps its own messages in one table, English
// and Spanish side by side; this file only chooses between the two columns.

export type Lang = "es" | "en";

/** A tool's table: every message in both languages. */
export type Bilingual = Record<string, { en: unknown; es: unknown }>;

/** Each message's Spanish must have the type of its English (a string, or the same function). */
export type Checked<M> = {
  [K in keyof M]: M[K] extends { en: infer E } ? { en: E; es: E } : never;
};

/** The chosen column of a table: `text.welcome`, `text.tooMany(1000)`. */
export type Texts<M> = { [K in keyof M]: M[K] extends { en: infer E; es: unknown } ? E : never };

export function pickTexts<M extends Bilingual>(messages: M & Checked<M>, lang: Lang): Texts<M> {
  return Object.fromEntries(
    Object.entries(messages).map(([key, both]) => [key, both[lang]]),
  ) as Texts<M>;
}

/**
 * `--lang es|en` (or `--lang=X`) among the arguments forces a language; otherwise the system's:
 * navigator.language, which follows LC_ALL, then LC_MESSAGES, then LANG (LC_ALL=C LANG=es_AR.UTF-8
 * is English). Any es-* is Spanish; anything else, `und` (no locale) included, is English.
 * An error (in English: the language is not known yet) if --lang has no value or an unknown one.
 */
export function chooseLanguage(args: string[]): { lang: Lang } | { error: string } {
  for (const [at, arg] of args.entries()) {
    if (arg === "--") break;
    if (arg !== "--lang" && !arg.startsWith("--lang=")) continue;
    const value = arg === "--lang" ? args[at + 1] : arg.slice("--lang=".length);
    if (value === "es" || value === "en") return { lang: value };
    return { error: "--lang must be es or en" };
  }
  return { lang: /^es\b/i.test(navigator.language) ? "es" : "en" };
}

/**
 * What a child needs in its environment to speak `lang`: LC_ALL, which wins over LC_MESSAGES and
 * LANG. The scripts read the system's language from it as the tools do.
 */
export function languageEnv(lang: Lang): { LC_ALL: string } {
  return { LC_ALL: lang === "es" ? "es_AR.UTF-8" : "C.UTF-8" };
}

/**
 * What was wrong with the command line, from node:util parseArgs' error: an unknown option, an
 * option without its value, a value given to a flag that takes none, or an argument too many.
 */
export function argsProblem(error: unknown): { kind: ArgsProblem; what: string } {
  const message = error instanceof Error ? error.message : String(error);
  const what = message.match(/'(-[^' ]+|[^']*)/)?.[1] ?? "";
  const code = (error as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return { kind: "unknown", what };
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return { kind: "positional", what };
  if (/argument missing/.test(message)) return { kind: "missing", what };
  if (/does not take an argument/.test(message)) return { kind: "noValue", what };
  return { kind: "other", what: message };
}
export type ArgsProblem = "unknown" | "positional" | "missing" | "noValue" | "other";

/** A MESSAGES entry for argsProblem()'s result; `none` says that the tool takes no argument. */
export function badArgsTexts(none: { en: string; es: string }) {
  return {
    en: (kind: ArgsProblem, what: string) =>
      ({
        unknown: `unknown option ${what}`,
        positional: `unexpected argument ${what}: ${none.en}`,
        missing: `${what.replace(/ <value>$/, "")} needs a value`,
        noValue: `${what} takes no value`,
        other: what,
      })[kind],
    es: (kind: ArgsProblem, what: string) =>
      ({
        unknown: `no conozco la opción ${what}`,
        positional: `sobra ${what}: ${none.es}`,
        missing: `a ${what.replace(/ <value>$/, "")} le falta su valor`,
        noValue: `${what} no lleva valor`,
        other: what,
      })[kind],
  };
}
