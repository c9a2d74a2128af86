/**
 * What a command reports when it returns normally, as data. A command never
 * decides an exit code: it returns one of these (or throws a typed error from
 * `errors.ts`), and only `cli/main.ts` maps outcomes and errors to exit codes.
 */
export type OutcomeKind =
  /** The command did what was asked. */
  | 'ok'
  /** Input was checked and found wrong (`runner validate`: some file is not a valid config). */
  | 'invalid'
  /** The user answered no to a confirmation (`runs rm`): nothing changed. */
  | 'declined'
  /** Training ran and diverged (a NaN or infinite loss): the run is recorded as `diverged`. */
  | 'diverged'
  /** Work ran and failed (`runner sweep`: every trial failed). */
  | 'failed'
  /** Stopped by Ctrl-C or SIGTERM: what was recorded is kept. */
  | 'interrupted';

export interface Outcome {
  readonly kind: OutcomeKind;
}

/** The outcome of a given kind (outcomes carry no more than their kind, for now). */
export function outcome(kind: OutcomeKind): Outcome {
  return { kind };
}

export const OK: Outcome = outcome('ok');
