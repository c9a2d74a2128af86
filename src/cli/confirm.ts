import { createInterface } from 'node:readline';
import type { CliContext } from './commands/command.js';

/** Asks on stderr, reads one line of the context's stdin: yes only for `y` or `yes`; end of input is no. */
export function confirm(context: CliContext, question: string): Promise<boolean> {
  context.out.note(question);
  const rl = createInterface({ input: context.stdin.stream, terminal: false });
  return new Promise((resolve) => {
    let answer: string | undefined;
    rl.once('line', (line) => {
      answer = line;
      rl.close();
    });
    rl.once('close', () => resolve(answer !== undefined && /^\s*y(es)?\s*$/i.test(answer)));
  });
}
