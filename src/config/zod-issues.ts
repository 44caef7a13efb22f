import type { z } from 'zod';

/**
 * Lists zod issues under a heading, one per line, each naming the field path (`sources[2].mapping.asAt`)
 * and what is accepted. Used for every file the gateway validates at start (config, keys).
 */
export function formatZodIssues(heading: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const where = issue.path.length
      ? issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '(top level)';
    return `  - ${where}: ${issue.message}`;
  });
  return `${heading}:\n${lines.join('\n')}`;
}
