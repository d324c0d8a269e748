/**
 * Command-line flags for the operator commands, parsed with node's parseArgs and checked with
 * zod; a bad flag exits with 64 (EX_USAGE) and the usage text.
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';

export const EXIT_USAGE = 64;

export function parseFlags<S extends z.ZodType>(
  argv: string[],
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'],
  schema: S,
  usage: string,
): z.infer<S> {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false });
    if (values['help']) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const parsed = schema.safeParse(values);
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
    return parsed.data;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(EXIT_USAGE);
  }
}
