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

async function planOf(file: string): Promise<ReturnType<typeof planModel>> {
  const experiment = await loadExperiment(path.join('configs', file), {
    registries: REGISTRIES,
    cwd: root,
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

  it.each(configs)('%s compiles to a [batch, classes] model', async (file) => {
    const plan = await planOf(file);
    expect(plan.outputShape).toHaveLength(2);
    expect(plan.outputShape[0]).toBeNull();
  });
});
