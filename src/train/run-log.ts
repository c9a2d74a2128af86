import { closeSync, openSync, writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { diskFullAt } from '../errors.js';

/** A run's `log.jsonl` and the way to close it. */
export interface RunLog {
  readonly logger: Logger;
  close(): void;
}

/**
 * Opens the run's log (appending: a resumed run continues it). Each line is written at once
 * and a failed write throws where it was logged, a full disk as `disk full at <file>`.
 *
 * @example
 * const log = openRunLog('runs/ab12/1/log.jsonl', 1);
 * log.logger.info({ epoch: 1 }, 'epoch end');
 * log.close();
 */
export function openRunLog(file: string, runId: number): RunLog {
  let fd: number;
  try {
    fd = openSync(file, 'a');
  } catch (error) {
    throw diskFullAt(file, error);
  }
  const write = (line: string): void => {
    try {
      writeSync(fd, line);
    } catch (error) {
      throw diskFullAt(file, error);
    }
  };
  return { logger: pino({ base: { runId } }, { write }), close: () => closeSync(fd) };
}
