import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diskFullAt } from '../errors.js';
import * as tf from '../tf.js';

/**
 * Saves a model in the tfjs layers format (`model.json` + `weights.bin`),
 * loadable with `tf.loadLayersModel('file://.../model.json')` under tfjs-node
 * or over HTTP in a browser. Written to a temporary folder, then renamed, so a
 * crash never leaves half a checkpoint.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    mkdirSync(tmp, { recursive: true });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weights = artifacts.weightData;
        const weightBytes =
          weights === undefined
            ? new Uint8Array(0)
            : Array.isArray(weights)
              ? Buffer.concat(weights.map((b) => new Uint8Array(b)))
              : new Uint8Array(weights);
        writeFileSync(join(tmp, 'weights.bin'), weightBytes);
        const modelJson = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format ?? 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        };
        writeFileSync(join(tmp, 'model.json'), JSON.stringify(modelJson));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  } catch (error) {
    // A full disk (or any failure) leaves no half-written folder behind, and frees its space.
    rmSync(tmp, { recursive: true, force: true });
    throw diskFullAt(dir, error);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}
