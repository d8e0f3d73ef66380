import { closestName } from '@strom/core/cli-support';

/** yargs' strict-mode message (the CLI pins the locale to English so this is what it says). */
const UNKNOWN = /^Unknown arguments?: (.+)$/;

/** What yargs hands `.fail()` as its third argument; only names are read from it. */
interface UsageLike {
  getDescriptions?: () => Record<string, unknown>;
  getCommands?: () => unknown[][];
}

/**
 * The options and commands known where parsing failed, from yargs' help texts: the option
 * names of the command that failed, and the commands (`send <topic> [value]` -> `send`).
 */
export function knownNames(usage: unknown): { options: string[]; commands: string[] } {
  const { getDescriptions, getCommands } = (usage ?? {}) as UsageLike;
  const options = typeof getDescriptions === 'function' ? Object.keys(getDescriptions.call(usage)) : [];
  const commands =
    typeof getCommands === 'function' ? getCommands.call(usage).map((c) => String(c[0]).split(' ')[0]!) : [];
  return { options, commands };
}

function givenAsFlag(name: string, argv: readonly string[]): string | undefined {
  const flag = name.length === 1 ? `-${name}` : `--${name}`;
  return argv.some((a) => a === flag || a.startsWith(`${flag}=`) || a === `--no-${name}`) ? flag : undefined;
}

/**
 * Rewrites yargs' "Unknown arguments: brokr, sendd" as one line per mistake with the closest
 * known name: `unknown option --brokr: did you mean --broker?`, `unknown command "sendd": did
 * you mean "send"?`. Returns undefined for other messages.
 */
export function explainUnknownArguments(
  message: string,
  argv: readonly string[],
  known: { options: readonly string[]; commands: readonly string[] },
): string | undefined {
  const match = UNKNOWN.exec(message);
  if (!match) return undefined;
  const firstWord = argv.find((a) => !a.startsWith('-'));
  const problems: string[] = [];
  for (const name of new Set(match[1]!.split(', '))) {
    const flag = givenAsFlag(name, argv);
    if (flag) {
      const closest = name.length >= 3 ? closestName(name, known.options) : undefined;
      problems.push(
        closest
          ? `unknown option ${flag}: did you mean --${closest}?`
          : `unknown option ${flag} (see --help)`,
      );
    } else if (name === firstWord && known.commands.length > 0 && !known.commands.includes(name)) {
      // the arguments after an unknown command mean nothing yet: report the command alone
      const closest = closestName(name, known.commands);
      return closest
        ? `unknown command "${name}": did you mean "${closest}"?`
        : `unknown command "${name}": use ${known.commands.join(', ')}`;
    } else if (argv.includes(name)) {
      problems.push(`unexpected argument "${name}" (see --help)`);
    }
    // else: the camelCase twin yargs adds for a dashed flag (csv-file -> csvFile), already reported
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}
