import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment } from '../config/experiment.js';
import { ConfigError, UsageError } from '../errors.js';
import { isRunAlive, localLivenessProbe, type RunDetail, type Store } from '../store/index.js';
import { warmupStepsOf } from './lr-schedule.js';
import { totalStepsOf } from './train-loop.js';
import {
  CheckpointDamage,
  readTrainingCheckpoint,
  type CheckpointIdentity,
  type SavedTrainingState,
} from './training-checkpoint.js';

/** The whole training state of a run, in its artifacts folder, replaced at every checkpoint. */
export const CHECKPOINT_FILE = 'resume.ckpt';
/** The resolved config of a run, in its artifacts folder. */
export const RESOLVED_CONFIG_FILE = 'config.yaml';

/** A run that can continue, with the checkpoint it continues from (checked whole). */
export interface ResumePlan {
  readonly run: RunDetail;
  readonly runDir: string;
  readonly checkpoint: {
    readonly identity: CheckpointIdentity;
    readonly state: SavedTrainingState;
  };
  /** The config file to train on: the given one, or the run's resolved config. */
  readonly configFile: string;
  /** Continue even though the config, backend or runner version differs. */
  readonly force: boolean;
}

/**
 * Finds run `runId` and its checkpoint, refusing in one line (UsageError,
 * nothing changed) a run that is completed, diverged or pruned, one still
 * running, one without a checkpoint and a damaged checkpoint.
 */
export async function prepareResume(
  store: Store,
  runId: number,
  options: { readonly force: boolean; readonly configFile?: string },
): Promise<ResumePlan> {
  const run = await store.getRun(runId);
  if (!run) throw new UsageError(`--resume ${runId}: no run with id ${runId} in ${store.path}`);
  const refuse = (why: string, hint?: string): never => {
    throw new UsageError(`--resume ${runId}: run ${runId} ${why}`, hint ? { hint } : undefined);
  };
  if (run.status === 'completed' || run.status === 'diverged' || run.status === 'pruned') {
    refuse(`${run.status}; only an interrupted, failed or lost run can be resumed`);
  }
  if (isRunAlive(run, localLivenessProbe())) {
    refuse(`is still running (pid ${run.pid ?? '?'} on ${run.host})`);
  }
  const runDir = run.artifactsDir;
  const file = runDir === null ? undefined : join(runDir, CHECKPOINT_FILE);
  if (runDir === null || file === undefined || !existsSync(file)) {
    refuse(
      `has no checkpoint to continue from${file ? ` (${file} is missing)` : ''}`,
      'a run saves one at every epoch end and every train.checkpointEvery steps',
    );
  }
  let checkpoint: ResumePlan['checkpoint'];
  try {
    checkpoint = readTrainingCheckpoint(file!);
  } catch (error) {
    if (error instanceof CheckpointDamage)
      refuse(`has a damaged checkpoint ${file}: ${error.message}`);
    throw error;
  }
  if (checkpoint.identity.runId !== runId) {
    refuse(`has a checkpoint of run ${checkpoint.identity.runId} in ${file}`);
  }
  let configFile = options.configFile;
  if (configFile === undefined) {
    configFile = join(runDir!, RESOLVED_CONFIG_FILE);
    // Runs recorded before the file was kept: the store has the same text.
    if (!existsSync(configFile)) writeFileSync(configFile, run.configYaml);
  }
  return { run, runDir: runDir!, checkpoint, configFile, force: options.force };
}

/**
 * What differs between the run (and its checkpoint) and this process; refused
 * in one line unless `force`, in which case the differences are returned to be
 * recorded. The losses of a forced resume are not the uninterrupted run's.
 */
export function checkResumeIdentity(
  plan: ResumePlan,
  now: { readonly configHash: string; readonly backend: string; readonly runnerVersion: string },
): string[] {
  const { run } = plan;
  const saved = plan.checkpoint.identity;
  const differences: string[] = [];
  if (now.configHash !== run.configHash || now.configHash !== saved.configHash) {
    differences.push(
      `a config with hash ${now.configHash.slice(0, 12)} (the run has ${run.configHash.slice(0, 12)})`,
    );
  }
  if (now.backend !== run.backend || now.backend !== saved.backend) {
    differences.push(`backend ${now.backend} (the run trained on ${run.backend})`);
  }
  if (now.runnerVersion !== run.versions.runner || now.runnerVersion !== saved.runnerVersion) {
    differences.push(`runner ${now.runnerVersion} (the run was started by ${run.versions.runner})`);
  }
  if (differences.length > 0 && !plan.force) {
    throw new UsageError(
      `--resume ${run.id}: this would continue run ${run.id} with ${differences.join(' and ')}`,
      { hint: 'pass --force to continue anyway; its losses will not match an uninterrupted run' },
    );
  }
  return differences;
}

/** A warmup that is not shorter than the run, located at its key (known once the data is loaded). */
export function checkWarmup(experiment: Experiment, trainCount: number): void {
  const schedule = experiment.train.schedule;
  if (schedule?.type !== 'cosine') return;
  const stepsPerEpoch = Math.ceil(trainCount / experiment.data.batchSize);
  const warmup = warmupStepsOf(schedule, stepsPerEpoch);
  const total = totalStepsOf(experiment, trainCount);
  if (warmup < total) return;
  const key = schedule.warmupSteps !== undefined ? 'warmupSteps' : 'warmupEpochs';
  throw new ConfigError([
    {
      code: 'warmup-too-long',
      path: `train.schedule.${key}`,
      message: `a warmup of ${warmup} steps is not shorter than the run (${total} steps: ${trainCount} examples at batch ${experiment.data.batchSize}${experiment.train.maxSteps !== undefined ? `, maxSteps ${experiment.train.maxSteps}` : ''})`,
      hint: 'shorten the warmup or train for longer',
      ...(schedule.loc ? { loc: schedule.loc } : {}),
    },
  ]);
}
