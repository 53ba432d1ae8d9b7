/**
 * The conventions every command follows, in one place so a new command gets them by calling
 * {@link describeCommand}: a usage line, examples, what it prints on stdout (and stderr), and its exit
 * statuses, shown by `--help` and by the AWS CLI habit `mfa-remediation <command> help`.
 *
 * Exit statuses are the product's (docs/reference.md: Exit status): 0 all well, 1 some work failed, 2 usage
 * or configuration error; a command lists what 1 means for it.
 */
import type { Command } from 'commander';

export interface CommandHelp {
  /** Commands as a user types them, each with a comment saying what it does. */
  readonly examples: readonly (readonly [command: string, comment: string])[];
  /** What goes to stdout (the result) and, where it matters, stderr. */
  readonly prints: string;
  /** When the command exits 1; 0 and 2 are the same for every command. */
  readonly failsWhen: string;
  /** Anything else a user should know (defaults, AWS behaviour). */
  readonly notes?: string;
}

/** Exit statuses (docs/reference.md: Exit status). */
export const EXIT = { ok: 0, workFailed: 1, usage: 2 } as const;

const INDENT = '  ';

/** Adds the examples, output and exit-status sections to a command's `--help`. */
export function describeCommand(command: Command, help: CommandHelp): Command {
  const lines = [
    '',
    'Examples:',
    ...help.examples.flatMap(([example, comment]) => [`${INDENT}# ${comment}`, ...shellLines(example), '']),
    'Prints:',
    ...wrap(help.prints),
    ...(help.notes ? ['', 'Notes:', ...wrap(help.notes)] : []),
    '',
    'Exit status:',
    `${INDENT}0  all well`,
    ...wrap(`1  ${help.failsWhen}`, `${INDENT}   `),
    `${INDENT}2  usage or configuration error (one line on stderr names the flag or`,
    `${INDENT}   variable)`,
    '',
    'Global flags (--region, --profile, --endpoint-url, --output, --query, …):',
    `${INDENT}mfa-remediation --help`,
  ];
  return command.addHelpText('after', lines.join('\n'));
}

/** A long example command as shell lines of at most 80 columns, continued with a backslash. */
function shellLines(command: string, width = 80): string[] {
  const lines: string[] = [];
  let line = INDENT;
  for (const word of command.split(' ')) {
    if (line.trim() !== '' && line.length + 1 + word.length + 2 > width) {
      lines.push(`${line} \\`);
      line = `${INDENT}    ${word}`;
    } else line = line.trim() === '' ? `${INDENT}${word}` : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

/** Wraps a paragraph to 80 columns: the first line indented, the rest indented by `continuation`. */
function wrap(text: string, continuation = INDENT, width = 80): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line === '') line = `${INDENT}${word}`;
      else if (line.length + 1 + word.length > width) {
        out.push(line);
        line = `${continuation}${word}`;
      } else line = `${line} ${word}`;
    }
    if (line) out.push(line);
  }
  return out;
}

/**
 * The AWS CLI's `aws <command> help`: `help` as the last word after a command path shows that command's
 * help. A file literally named `help` is still reachable as `./help`.
 */
export function helpWordToFlag(argv: readonly string[], program: Command): string[] {
  const args = [...argv];
  if (args.length === 0 || args[args.length - 1] !== 'help') return args;
  let command = program;
  const words = args.slice(0, -1);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word.startsWith('-')) {
      // Skip the value of an option that takes one (`--output json worker help`).
      const option = [...program.options, ...command.options].find(
        (o) => o.long === word || o.short === word,
      );
      if (option && (option.required || option.optional) && !word.includes('=')) i++;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    command = sub;
  }
  if (command === program) return args;
  return [...args.slice(0, -1), '--help'];
}
