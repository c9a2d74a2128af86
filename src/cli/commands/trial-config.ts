import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Store, TakenTrial } from '../../store/index.js';

/**
 * A trial's config as `runner exp` would resolve it (extends merged, `set` applied, defaults
 * filled) as YAML, without its `sweep:` section: the trial is one run.
 */
export async function resolveTrialConfig(
  file: string,
  set: readonly string[],
  cwd: string,
): Promise<string> {
  const { loadExperiment } = await import('../../config/index.js');
  const { REGISTRIES } = await import('../../registries.js');
  const experiment = await loadExperiment(file, { registries: REGISTRIES, set: [...set], cwd });
  const document = { ...experiment.source.document };
  delete document['sweep'];
  return stringify(document);
}

/**
 * What a worker does with a job of an adaptive sweep (TPE) when it takes it: the trial's
 * values, proposed now from the trials finished so far (or as recorded, for a retried
 * attempt), applied to the sweep's base config the job carries. Other jobs pass unchanged.
 */
export function prepareQueuedTrial(
  store: Store,
  cwd: string,
): (taken: TakenTrial) => Promise<TakenTrial> {
  return async (taken) => {
    const { job } = taken;
    if (job.adaptive !== true) return taken;
    const { proposeTrialAt, trialRunName } = await import('../../train/index.js');
    const trial = await proposeTrialAt(store, job.sweepId, job.trialIndex);
    const sweep = await store.getSweep(job.sweepId);
    if (trial === undefined || sweep === undefined)
      throw new Error(`sweep ${job.sweepId} plans no trial ${job.trialIndex + 1}`);
    const dir = mkdtempSync(join(tmpdir(), 'runner-proposal-'));
    try {
      const base = join(dir, `sweep${job.sweepId}.yaml`);
      writeFileSync(base, job.configYaml);
      return {
        ...taken,
        job: {
          ...job,
          runName: trialRunName(sweep.name, trial.assignments),
          configYaml: await resolveTrialConfig(base, trial.overrides, cwd),
        },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
