import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../tf.js';
import { UsageError } from '../errors.js';
import { registerRunnerLayers } from '../model/index.js';

/** Which saved model of a run: the one saved at the end, or the best epoch's checkpoint. */
export type SavedModelChoice = 'final' | 'best';

/** The folder of a run's saved model, under its artifacts folder. */
export function savedModelDir(runDir: string, choice: SavedModelChoice): string {
  return join(runDir, choice === 'final' ? 'model' : 'checkpoint-best');
}

/**
 * Loads a model saved by `saveModel` (`model.json` + `weights.bin`) without
 * tfjs-node's file:// handler. A missing or damaged artifact is one
 * UsageError naming the file and what to do.
 *
 * @example
 * const model = await loadSavedModel('runs/12/model', { runId: 12, choice: 'final' });
 */
export async function loadSavedModel(
  dir: string,
  about: { readonly runId: number; readonly choice: SavedModelChoice },
): Promise<tf.LayersModel> {
  const modelFile = join(dir, 'model.json');
  const weightsFile = join(dir, 'weights.bin');
  const what = about.choice === 'final' ? 'final model' : 'best checkpoint';
  for (const file of [modelFile, weightsFile]) {
    if (!existsSync(file)) {
      throw new UsageError(`run ${about.runId} has no saved ${what}: ${file} is missing`, {
        hint:
          about.choice === 'best'
            ? 'a best checkpoint is saved at an epoch end with a finite metric; try --checkpoint final'
            : 'a run saves its model when training ends; a failed or still-running run may have none (try --checkpoint best)',
      });
    }
  }
  let json: { modelTopology?: unknown; weightsManifest?: { weights?: unknown }[] };
  try {
    json = JSON.parse(readFileSync(modelFile, 'utf8')) as typeof json;
  } catch (error) {
    throw new UsageError(`${modelFile}: not a saved model (${(error as Error).message})`);
  }
  const weightSpecs = json.weightsManifest?.[0]?.weights;
  if (typeof json.modelTopology !== 'object' || !Array.isArray(weightSpecs)) {
    throw new UsageError(`${modelFile}: not a saved model (no modelTopology or weightsManifest)`);
  }
  const bytes = readFileSync(weightsFile);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  registerRunnerLayers();
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[],
        weightData,
      }),
    );
  } catch (error) {
    throw new UsageError(
      `${dir}: the saved ${what} cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
