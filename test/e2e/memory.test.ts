import { existsSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { constrainedMemory } from 'node:process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { runCli } from './cli-kit.js';
import { writeImageFolder } from '../data/image-fixtures.js';

const ws = makeTempDir('memory');
afterAll(() => ws.remove());

/** A dense net on synthetic 12x12 images: `units` wide, at `batchSize`. */
function config(
  name: string,
  units: number,
  batchSize: number,
  optimizer = 'adam',
  side = 12,
): string {
  return ws.write(
    `${name}.yaml`,
    `name: ${name}
data:
  dataset: synthetic
  batchSize: ${batchSize}
  synthetic: {train: 300, test: 100, classes: 4, shape: [${side}, ${side}, 1]}
model:
  input: [${side}, ${side}, 1]
  layers:
    - flatten: {}
    - dense: {units: ${units}, activation: relu}
    - dense: {units: 4}
train:
  epochs: 1
  optimizer: {type: ${optimizer}, learningRate: 0.001}
`,
  );
}

interface PlanJson {
  memory: Record<string, number>;
  model: {
    totalParams: number;
    trainableParams: number;
    layers: { outputShape: (number | null)[] }[];
  };
}

describe('the memory a training step needs', () => {
  it('is in the plan: weights, gradients, optimizer state, activations at the batch size, dataset', async () => {
    const file = config('small', 32, 50);
    const plan = JSON.parse((await runCli(['plan', file, '--json'], ws.dir)).stdout) as PlanJson;
    const values = (shape: (number | null)[]): number =>
      shape.slice(1).reduce<number>((a, d) => a * (d ?? 0), 1);
    const perExample = 144 + plan.model.layers.reduce((sum, l) => sum + values(l.outputShape), 0);
    expect(plan.model.totalParams).toBe(144 * 32 + 32 + 32 * 4 + 4);
    expect(plan.memory).toMatchObject({
      batchSize: 50,
      weights: plan.model.totalParams * 4,
      gradients: plan.model.trainableParams * 4,
      optimizerState: plan.model.trainableParams * 2 * 4, // Adam's two moments
      activations: 2 * perExample * 50 * 4,
      dataset: 400 * (144 + 1), // uint8 pixels and labels
    });
    const sgd = JSON.parse(
      (await runCli(['plan', config('sgd', 32, 50, 'sgd'), '--json'], ws.dir)).stdout,
    ) as PlanJson;
    expect(sgd.memory['optimizerState']).toBe(0);
    const text = (await runCli(['plan', file], ws.dir)).stdout;
    expect(text).toMatch(
      /^memory {5}about [\d.]+ KB \(weights 18\.6 KB, gradients 18\.6 KB, optimizer state 37\.3 KB, activations at batch 50 [\d.]+ KB, dataset 56\.6 KB\)$/m,
    );
  });

  it('refuses a model too large for the wasm backend at its layer, in validate, plan and exp, before any run', async () => {
    // 1600 x 1,000,000 weights: about 6 GB of weights alone.
    const file = config('wide', 1_000_000, 32, 'adam', 40);
    const db = join(ws.dir, 'runs.db');
    for (const args of [
      ['validate', file, '--set', 'backend=wasm'],
      ['plan', file, '--set', 'backend=wasm'],
      ['exp', file, '--set', 'backend=wasm', '--db', db],
    ]) {
      const { code, stderr } = await runCli(args, ws.dir);
      expect(code, args[0]).toBe(2);
      const lines = stderr.trim().split('\n');
      expect(lines[0]).toMatch(
        new RegExp(
          `^wide\\.yaml:10:7 error memory-too-large: model\\.layers\\[1\\]: a training step needs about 24\\.2 GB \\(weights 5\\.98 GB, gradients 5\\.98 GB, optimizer state 12 GB, activations at batch 32 .*\\); its tensors alone \\(24\\.2 GB\\) are more than what the wasm backend can address \\(4 GB\\)`,
        ),
      );
      expect(stderr).toContain(
        'make model.layers[1] (dense, 1,601,000,000 parameters) smaller, or use another backend',
      );
      expect(stderr).not.toMatch(/\n\s+at /);
    }
    expect(
      existsSync(db)
        ? (await runCli(['runs', 'ls', '--db', db, '--json'], ws.dir)).stdout.trim()
        : '[]',
    ).toBe('[]');
  });

  it("refuses what this machine's memory cannot hold, on any backend, and says which batch size fits", async () => {
    // A billion-example batch: activations of about 2.4 TB.
    const file = config('batch', 8, 1_000_000_000);
    const { code, stderr } = await runCli(['validate', file, '--set', 'backend=cpu'], ws.dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /:2:1 error memory-too-large: data\.batchSize: a training step needs about [\d.]+ TB \(.*activations at batch 1000000000 [\d.]+ TB.*\), more than (this machine's memory|this process's cgroup limit) \([\d.]+ [GT]B\)/,
    );
    const fits = Number(/about (\d+) would fit/.exec(stderr)?.[1]);
    expect(fits).toBeGreaterThan(1000);
    expect(fits).toBeLessThan(1_000_000_000);
    // The batch size it names does fit.
    const ok = await runCli(
      ['validate', file, '--set', 'backend=cpu', '--set', `data.batchSize=${fits}`],
      ws.dir,
    );
    expect(ok.stdout.trim()).toBe(`ok  ${file}`);
  });
});

/** An IDX file: magic 0x000008NN (uint8, NN dims), the dims, then `count x rest` bytes. */
function idxFile(dims: readonly number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const body = Buffer.alloc(dims.reduce((a, d) => a * d, 1));
  for (let i = 0; i < body.length; i++) body[i] = (i * 7) % (dims.length === 1 ? 10 : 256);
  return Buffer.concat([header, body]);
}

/** The plan's memory figures of a config on the user's own files (an 8x8 grey input, 10 classes). */
async function planMemory(name: string, data: string, input = '[8, 8, 1]') {
  const file = ws.write(
    `${name}.yaml`,
    `name: ${name}
data:
${data}
  batchSize: 10
model:
  input: ${input}
  layers:
    - flatten: {}
    - dense: {units: 10}
train:
  epochs: 1
  optimizer: {type: adam, learningRate: 0.001}
`,
  );
  const result = await runCli(['plan', file, '--json'], ws.dir);
  expect(result.stderr).toBe('');
  return { file, memory: (JSON.parse(result.stdout) as PlanJson).memory };
}

describe("the memory of the user's own data, before it loads (plan, validate)", () => {
  it('reads the size of IDX files (gzip or raw) from their headers', async () => {
    writeFileSync(join(ws.dir, 'train-images.idx'), idxFile([50, 8, 8]));
    writeFileSync(join(ws.dir, 'train-labels.idx'), idxFile([50]));
    writeFileSync(join(ws.dir, 'test-images.idx.gz'), gzipSync(idxFile([20, 8, 8])));
    writeFileSync(join(ws.dir, 'test-labels.idx.gz'), gzipSync(idxFile([20])));
    const { memory } = await planMemory(
      'idx-files',
      `  dataset: idx
  train: {images: train-images.idx, labels: train-labels.idx}
  test: {images: test-images.idx.gz, labels: test-labels.idx.gz}`,
    );
    // Each file whole once read (the loader keeps views into it): header and data.
    expect(memory['dataset']).toBe(16 + 50 * 64 + (8 + 50) + (16 + 20 * 64) + (8 + 20));
  });

  it('counts the image files of a class folder, at the decoded size of the model input', async () => {
    await writeImageFolder(join(ws.dir, 'img/train'), ['a', 'b'], 3, [8, 8, 1]);
    await writeImageFolder(join(ws.dir, 'img/test'), ['a', 'b'], 2, [8, 8, 1]);
    const { memory } = await planMemory(
      'image-folder',
      `  dataset: images
  train: {dir: img/train}
  test: {dir: img/test}`,
    );
    expect(memory['dataset']).toBe(10 * (64 + 1)); // uint8 pixels and a label byte per image
  });

  it('counts the rows of CSV tables, as float32 columns of the model input', async () => {
    const rows = (n: number): string =>
      'a,b,y\n' + Array.from({ length: n }, (_, i) => `${i},${i % 3},${i % 2}`).join('\n');
    ws.write('train.csv', rows(30) + '\n');
    ws.write('test.csv', rows(10)); // no newline after the last row
    const { memory } = await planMemory(
      'csv-table',
      `  dataset: csv
  train: {file: train.csv}
  test: {file: test.csv}
  target: y`,
      '[2]',
    );
    expect(memory['dataset']).toBe(40 * (2 * 4 + 4));
  });

  it("refuses data larger than this machine's memory in validate and plan, at data:", async () => {
    // 100,000 rows at a model input of F columns: F is chosen so the rows alone cannot fit.
    const rows = 100_000;
    const capped = constrainedMemory();
    const machine = capped > 0 && capped < totalmem() ? capped : totalmem();
    const width = Math.ceil(machine / (rows * 4)) + 1;
    ws.write('wide.csv', 'x,y\n' + '0,1\n'.repeat(rows));
    const file = ws.write(
      'wide.yaml',
      `name: wide
data:
  dataset: csv
  train: {file: wide.csv}
  validationSplit: 0.1
  target: y
  batchSize: 10
model:
  input: [${width}]
  layers:
    - dense: {units: 2}
train:
  epochs: 1
`,
    );
    for (const command of ['validate', 'plan']) {
      const { code, stderr } = await runCli([command, file, '--set', 'backend=cpu'], ws.dir);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /:2:1 error memory-too-large: data: a training step needs about [\d.]+ [GT]B \(.*dataset [\d.]+ [GT]B\), more than (this machine's memory|this process's cgroup limit) \([\d.]+ [GT]B\): the data alone holds [\d.]+ [GT]B once decoded/,
      );
      expect(stderr).toMatch(
        /once decoded \(train on fewer files or rows, or on smaller images, or on a machine with more memory\)$/m,
      );
    }
  });
});
