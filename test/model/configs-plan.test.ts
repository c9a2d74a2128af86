import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '../../src/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { planModel, quietTf } from '../../src/model/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const configs = readdirSync(path.join(root, 'configs')).filter((f) => f.endsWith('.yaml'));

beforeAll(async () => {
  quietTf();
  await tf.setBackend('cpu');
});

/**
 * Configs that leave `model.input` to their data (image folders, CSV tables)
 * are planned with the shape their data would give, as `exp` does once the
 * data is loaded.
 */
const INPUT_FROM_DATA: Readonly<Record<string, string>> = {
  'pets-images.yaml': 'model.input=[64, 64, 3]',
  'house-prices-csv.yaml': 'model.input=[5]',
};

async function planOf(file: string): Promise<ReturnType<typeof planModel>> {
  const input = INPUT_FROM_DATA[file];
  const experiment = await loadExperiment(path.join('configs', file), {
    registries: REGISTRIES,
    cwd: root,
    ...(input === undefined ? {} : { set: [input] }),
  });
  return planModel(experiment.model);
}

describe('the example configs', () => {
  it('configs/lenet.yaml is LeNet-5: 61,706 trainable parameters', async () => {
    const plan = await planOf('lenet.yaml');
    expect(plan.trainableParams).toBe(61_706);
    expect(plan.nonTrainableParams).toBe(0);
  });

  it("configs/mycnn.yaml is the tutorial's net: 8,212 parameters, 8,110 trainable, 102 not", async () => {
    const plan = await planOf('mycnn.yaml');
    expect(plan.totalParams).toBe(8212);
    expect(plan.trainableParams).toBe(8110);
    expect(plan.nonTrainableParams).toBe(102);
  });

  it('leaves model.input to the data exactly in the configs planned with a given shape', async () => {
    for (const file of Object.keys(INPUT_FROM_DATA)) {
      await expect(
        loadExperiment(path.join('configs', file), { registries: REGISTRIES, cwd: root }).then(
          (experiment) => planModel(experiment.model),
        ),
      ).rejects.toThrow(/model\.input is left out/);
    }
  });

  it.each(configs)('%s compiles to a [batch, outputs] model', async (file) => {
    const plan = await planOf(file);
    expect(plan.outputShape).toHaveLength(2);
    expect(plan.outputShape[0]).toBeNull();
  });
});
