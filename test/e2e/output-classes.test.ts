/**
 * The model's output width against the dataset's class count, as a user meets
 * it: `validate`, `plan` and `exp` refuse a mismatch at the output layer's
 * line, exit 2, before any data loads (idx without `classes`: once the labels
 * are read, before the run starts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { idxImagesBytes, idxLabelsBytes } from '../data/helpers.js';
import { makeTempDir } from '../test-kit.js';
import { runCli } from './cli-kit.js';

const ws = makeTempDir('classes');
afterAll(() => ws.remove());

// Line 9 holds the output layer.
const mnistConfig = (units: number) => `name: wrong-units
data:
  dataset: mnist
  batchSize: 32
model:
  input: [28, 28, 1]
  layers:
    - flatten: {}
    - dense: {units: ${units}}
train: {epochs: 1}
`;

describe('the output layer against the class count', () => {
  it.each(['validate', 'plan', 'exp'])(
    '%s refuses 4 units for mnist’s 10 classes at the layer, exit 2, before loading data',
    async (command) => {
      const file = path.basename(ws.write(`mnist-4-${command}.yaml`, mnistConfig(4)));
      // A data dir that would be used (and a mirror that would be tried) if data were loaded.
      const env = {
        RUNNER_DATA_DIR: path.join(ws.dir, 'no-data'),
        RUNNER_MNIST_MIRRORS: 'http://127.0.0.1:9/',
      };
      const args = command === 'exp' ? [command, file, '--db', ws.db] : [command, file];
      const { code, stdout, stderr } = await runCli(args, ws.dir, env);
      expect(stderr).toBe(
        `${file}:9:7 error output-classes: model.layers[1]: the output dense layer has 4 units per example, but mnist has 10 classes (cross-entropy needs one output per class: set units: 10)\n`,
      );
      expect(stdout).not.toContain('ok ');
      expect(code).toBe(2);
    },
  );

  it('validate accepts 10 units for mnist', async () => {
    const file = path.basename(ws.write('mnist-10.yaml', mnistConfig(10)));
    const { code, stdout } = await runCli(['validate', file], ws.dir);
    expect(stdout).toBe(`ok  ${file}\n`);
    expect(code).toBe(0);
  });

  it('exp on idx without classes refuses from the labels, before the run starts', async () => {
    writeFileSync(
      path.join(ws.dir, 'images.idx'),
      idxImagesBytes(8, 4, 4, (i) => i % 256),
    );
    writeFileSync(path.join(ws.dir, 'labels.idx'), idxLabelsBytes([0, 1, 2, 0, 1, 2, 0, 1]));
    const file = 'idx-3.yaml';
    ws.write(
      file,
      `name: idx-wrong-units
data:
  dataset: idx
  batchSize: 4
  validationSplit: 0.25
  train: {images: images.idx, labels: labels.idx}
model:
  input: [4, 4, 1]
  layers:
    - flatten: {}
    - dense: {units: 5}
train: {epochs: 1}
`,
    );
    const { code, stderr } = await runCli(['exp', file, '--db', ws.db], ws.dir);
    expect(stderr).toBe(
      `${file}:11:7 error output-classes: model.layers[1]: the output dense layer has 5 units per example, but the training and test labels have 3 classes (0 to 2) (cross-entropy needs one output per class: set units: 3, or data.options.classes if the labels do not show every class)\n`,
    );
    expect(code).toBe(2);
  });
});
