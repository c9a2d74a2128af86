import type { RunStatus, Store, TakenTrial, TrialQueue } from '../store/index.js';
import { settleRunningSweeps, settleSweepStatus } from './sweep-settle.js';

/** How a trial's process ended. */
export interface TrialExit {
  /** The run the trial reported on stdout (`runner exp --json`), when it got that far. */
  readonly result: { readonly runId: number; readonly status: RunStatus } | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Its last line on stderr (the error a failed trial printed). */
  readonly lastLine: string | undefined;
}

/** A trial training in a child process. */
export interface TrialProcess {
  readonly pid: number | undefined;
  readonly done: Promise<TrialExit>;
  stop(signal: NodeJS.Signals): void;
}

/** Starts the child that trains one attempt (the CLI spawns `runner exp`). */
export type TrialProcessLauncher = (taken: TakenTrial) => TrialProcess;

/** What a worker reports as it goes (the CLI prints these). */
export type WorkerEvent =
  | { readonly kind: 'started'; readonly taken: TakenTrial; readonly pid: number | undefined }
  | {
      readonly kind: 'ended';
      readonly taken: TakenTrial;
      /** completed, pruned, diverged, failed (not retried), retrying, lost, cancelled, handed back. */
      readonly outcome: TrialOutcome;
      readonly runId: number | undefined;
      readonly message: string | undefined;
    }
  | { readonly kind: 'marked-lost'; readonly runId: number; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string };

export type TrialOutcome =
  | 'completed'
  | 'pruned'
  | 'diverged'
  | 'failed'
  | 'retrying'
  | 'lost'
  | 'cancelled'
  | 'handed back';

export interface TrialWorkerOptions {
  readonly queue: TrialQueue;
  readonly store: Store;
  /** This machine's name, recorded in the reasons of lost runs. */
  readonly host: string;
  /** Trials at a time. */
  readonly parallel: number;
  readonly launch: TrialProcessLauncher;
  /**
   * Turns a taken job into the trial to launch (an adaptive sampler's job gets its proposal
   * here). A rejection fails the trial without retry (the same on any machine).
   */
  readonly prepare?: (taken: TakenTrial) => Promise<TakenTrial>;
  /** Stop when no trial has run for this long (ms); undefined: take trials until stopped. */
  readonly exitWhenIdleMs?: number;
  /** Checked while idle: true stops the worker (the sweep command's own work is done). */
  readonly isDone?: () => Promise<boolean>;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** How often an idle worker asks for a job. Default 1000. */
  readonly pollMs?: number;
  /** How often the worker ends sweeps whose last job pg-boss failed for good. Default 5000. */
  readonly settleEveryMs?: number;
  readonly now?: () => number;
}

export interface TrialWorker {
  /** Resolves when the worker stopped (idle, done or asked to) and every trial it held is settled. */
  readonly done: Promise<{ readonly trials: number }>;
  /** Takes no more trials; running ones are interrupted (they save) and handed back to the queue. */
  stop(): void;
  /** Kills running trials at once (a second Ctrl-C). */
  kill(): void;
}

/** Settlements are retried this long while the server is unreachable (a restart). */
const SETTLE_RETRY_MS = 120_000;

/**
 * Takes trials from the queue and supervises each in a child process: heartbeats the job
 * with the attempt it holds, settles it when the child ends, and marks runs lost when their
 * attempt died. Only pg-boss decides who holds a job; this adds no lease logic of its own.
 */
export function startTrialWorker(options: TrialWorkerOptions): TrialWorker {
  const { queue, store } = options;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 1000;
  const emit = (event: WorkerEvent): void => options.onEvent?.(event);
  let stopping = false;
  let busy = 0;
  let trials = 0;
  let lastActivity = now();
  const wakers = new Set<() => void>();
  const running = new Set<{ stop(): void; kill(): void }>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakers.add(wake);
    });

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const trial of running) trial.stop();
    for (const wake of [...wakers]) wake();
  };

  const runTrial = async (claimed: TakenTrial): Promise<void> => {
    await markEarlierAttemptsLost(claimed);
    let taken = claimed;
    if (options.prepare) {
      try {
        taken = await options.prepare(claimed);
      } catch (error) {
        const message = messageOf(error);
        await settle(() =>
          queue.complete(claimed, { runId: null, status: 'failed', error: message }),
        );
        emit({ kind: 'ended', taken: claimed, outcome: 'failed', runId: undefined, message });
        await settle(() => settleSweepStatus(queue, store, claimed.job.sweepId));
        return;
      }
    }
    const child = options.launch(taken);
    emit({ kind: 'started', taken, pid: child.pid });
    let reason: 'claim lost' | 'cancelled' | 'stopping' | undefined;
    const handle = {
      stop: () => {
        if (reason) return;
        reason = 'stopping';
        child.stop('SIGINT');
      },
      kill: () => child.stop('SIGKILL'),
    };
    running.add(handle);
    let beating = false;
    const beat = setInterval(
      () => {
        if (beating || reason) return;
        beating = true;
        void (async () => {
          try {
            if (await queue.heartbeat(taken)) return;
            const state = await queue.jobState(taken.jobId);
            if (reason) return;
            if (state === 'cancelled') {
              reason = 'cancelled';
              child.stop('SIGINT');
            } else {
              reason = 'claim lost';
              child.stop('SIGKILL');
            }
          } catch (error) {
            // The server is away: keep training; if the heartbeat lapses, the next beat finds out.
            emit({ kind: 'error', message: `heartbeat: ${messageOf(error)}` });
          } finally {
            beating = false;
          }
        })();
      },
      Math.max(500, (taken.heartbeatSeconds * 1000) / 3),
    );
    const exit = await child.done;
    clearInterval(beat);
    running.delete(handle);
    const runId = exit.result?.runId ?? (await findRunOf(taken, child.pid));
    const ended = (outcome: TrialOutcome, message?: string): void =>
      emit({ kind: 'ended', taken, outcome, runId, message });

    if (reason === 'claim lost') {
      if (runId !== undefined)
        await markLost(
          runId,
          `lost: its worker on ${options.host} lost the job (missed heartbeats); the trial was retried`,
        );
      ended('lost', 'the job was handed to another worker');
      return;
    }
    if (reason === 'cancelled') {
      if (runId !== undefined && exit.result === undefined)
        await settle(() =>
          store.finishRun(runId, { status: 'interrupted', error: 'sweep cancelled' }),
        );
      ended('cancelled');
      return;
    }
    const status = exit.result?.status;
    const finished =
      status === 'completed' || status === 'pruned' || status === 'diverged' || status === 'failed';
    if (reason === 'stopping' && !finished) {
      await settle(() => queue.fail(taken, { reason: `worker on ${options.host} stopped` }));
      ended('handed back', 'the worker stopped; the trial goes back to the queue');
      return;
    }
    if (finished) {
      const held = await settle(() => queue.complete(taken, { runId, status }));
      if (held === false && (await settle(() => queue.jobState(taken.jobId))) === 'cancelled') {
        // The sweep was cancelled while the trial's last steps ran: its run is whole.
        ended('cancelled', `run ${runId ?? '?'} finished (${status}) as the sweep was cancelled`);
      } else if (held === false) {
        if (runId !== undefined)
          await markLost(runId, 'lost: it finished after its job was handed to another worker');
        ended('lost', 'finished after the job was handed to another worker');
      } else ended(status, exit.lastLine && status === 'failed' ? exit.lastLine : undefined);
    } else if (exit.result === undefined && exit.signal === null && exit.code !== null) {
      // A config or training error: the same on any machine, so not retried.
      if (runId !== undefined)
        await settle(() =>
          store.finishRun(runId, {
            status: 'failed',
            error: exit.lastLine ?? `exit code ${exit.code}`,
          }),
        );
      await settle(() =>
        queue.complete(taken, { runId, status: 'failed', error: exit.lastLine ?? null }),
      );
      ended('failed', exit.lastLine ?? `exited with code ${exit.code}`);
    } else {
      // Killed by a signal nobody here sent (out of memory, an operator): retried.
      const how = exit.signal ? `killed by ${exit.signal}` : `ended as ${status ?? 'unknown'}`;
      if (runId !== undefined && status !== 'interrupted')
        await markLost(runId, `lost: its process on ${options.host} was ${how}`);
      await settle(() => queue.fail(taken, { runId, reason: how }));
      ended(taken.attempt < taken.retryLimit ? 'retrying' : 'lost', how);
    }
    await settle(() => settleSweepStatus(queue, store, taken.job.sweepId));
  };

  /** Runs of this trial left by attempts that died: lost, so the trial has one finished run. */
  const markEarlierAttemptsLost = async (taken: TakenTrial): Promise<void> => {
    const { sweepId, trialIndex } = taken.job;
    const superseded: readonly RunStatus[] =
      taken.attempt > 0 ? ['running', 'completed', 'pruned', 'diverged'] : ['running'];
    const runs = await settle(() => store.listSweepTrials(sweepId));
    for (const run of runs ?? []) {
      if (run.trialIndex !== trialIndex || !superseded.includes(run.status)) continue;
      await markLost(
        run.id,
        `lost: its worker on ${run.host} (pid ${run.pid ?? '?'}) stopped heartbeating; ` +
          `retried as attempt ${taken.attempt + 1} on ${options.host}`,
      );
    }
  };

  const markLost = async (runId: number, reason: string): Promise<void> => {
    await settle(() => store.finishRun(runId, { status: 'lost', error: reason }));
    emit({ kind: 'marked-lost', runId, reason });
  };

  /** The run a child recorded before it died without a word (found by its pid). */
  const findRunOf = async (
    taken: TakenTrial,
    pid: number | undefined,
  ): Promise<number | undefined> => {
    if (pid === undefined) return undefined;
    const runs = await settle(() => store.listSweepTrials(taken.job.sweepId));
    const mine = (runs ?? []).filter(
      (run) =>
        run.trialIndex === taken.job.trialIndex && run.pid === pid && run.host === options.host,
    );
    return mine.length === 0 ? undefined : Math.max(...mine.map((run) => run.id));
  };

  /** Runs a store or queue call, retrying while the server is unreachable. */
  const settle = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    const deadline = now() + SETTLE_RETRY_MS;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (now() > deadline) {
          emit({ kind: 'error', message: messageOf(error) });
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };

  const slot = async (): Promise<void> => {
    while (!stopping) {
      let taken: TakenTrial | undefined;
      try {
        taken = await queue.take();
      } catch (error) {
        emit({ kind: 'error', message: `taking a trial: ${messageOf(error)}` });
        await sleep(pollMs);
        continue;
      }
      if (taken === undefined) {
        if (busy === 0 && options.exitWhenIdleMs !== undefined) {
          if (now() - lastActivity >= options.exitWhenIdleMs) stop();
        }
        if (
          !stopping &&
          busy === 0 &&
          options.isDone &&
          (await options.isDone().catch(() => false))
        )
          stop();
        if (!stopping) await sleep(pollMs);
        continue;
      }
      if (stopping) {
        // Taken while stopping: hand it straight back.
        await settle(() => queue.fail(taken, { reason: `worker on ${options.host} stopped` }));
        break;
      }
      busy += 1;
      trials += 1;
      try {
        await runTrial(taken);
      } finally {
        busy -= 1;
        lastActivity = now();
      }
    }
  };

  // A job whose last attempt died is failed by pg-boss's monitor, not by a worker: nobody
  // settles its sweep then, so every worker looks now and then.
  let settling = false;
  const settler = setInterval(() => {
    if (settling) return;
    settling = true;
    void settleRunningSweeps(queue, store)
      .catch((error: unknown) =>
        emit({ kind: 'error', message: `settling sweeps: ${messageOf(error)}` }),
      )
      .finally(() => (settling = false));
  }, options.settleEveryMs ?? 5000);
  const done = Promise.all(
    Array.from({ length: Math.max(1, options.parallel) }, () => slot()),
  ).then(
    () => {
      clearInterval(settler);
      return { trials };
    },
    (error: unknown) => {
      clearInterval(settler);
      throw error;
    },
  );
  return {
    done,
    stop,
    kill: () => {
      stop();
      for (const trial of running) trial.kill();
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
