import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../test-kit.js';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'dist/cli/main.js');
let dir = '';
let temp: TempDir | undefined;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would, in the temporary directory. */
function runner(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir }, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const HEADER = `data: {dataset: mnist, batchSize: 32}
train: {epochs: 1}
`;

/** A config whose model layers are the given YAML lines (line 7 is the first layer). */
const config = (name: string, layers: string): string =>
  `name: ${name}\n${HEADER}model:\n  input: [28, 28, 1]\n  layers:\n${layers}`;

const FILES: Record<string, string> = {
  'dense-4d.yaml': config(
    'dense-4d',
    `    - conv2d: {filters: 16, kernelSize: 3}
    - maxPool2d: {poolSize: 2}
    - dense: {units: 10}
`,
  ),
  'big-kernel.yaml': config(
    'big-kernel',
    `    - maxPool2d: {poolSize: 4}
    - maxPool2d: {poolSize: 2}
    - conv2d:
        filters: 8
        kernelSize: 5
    - flatten: {}
    - dense: {units: 10}
`,
  ),
  'branches.yaml': config(
    'branches',
    `    - conv2d: {filters: 8, kernelSize: 3, padding: same}
      name: stem
    - conv2d: {filters: 8, kernelSize: 3}
      name: narrow
    - add: {}
      inputs: [stem, narrow]
      name: sum
    - dense: {units: 3}
      inputs: [stem]
      name: early
    - concatenate: {}
      inputs: [sum, early]
    - globalAvgPool2d: {}
    - dense: {units: 10}
`,
  ),
  'no-head.yaml': config('no-head', `    - conv2d: {filters: 4, kernelSize: 3}\n`),
};

beforeAll(async () => {
  // `npm test` builds first; a lone `vitest run` of this file needs a build too.
  if (!existsSync(bin)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  temp = makeTempDir('validate');
  dir = temp.dir;
  await Promise.all(
    Object.entries(FILES).map(([file, text]) => writeFile(path.join(dir, file), text)),
  );
});

afterAll(() => {
  temp?.remove();
});

const lenet = path.join(root, 'configs/lenet.yaml');
const mycnn = path.join(root, 'configs/mycnn.yaml');

function expectNoStackTrace(result: Result): void {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('internal error');
}

describe('runner validate', () => {
  it('prints ok per valid file and exits 0', async () => {
    const result = await runner('validate', lenet, mycnn);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`ok  ${lenet}\nok  ${mycnn}\n`);
    expect(result.stderr).toBe('2 files valid\n');
  });

  it('locates a dense layer fed a 4-D tensor and exits 2, still checking the other files', async () => {
    const result = await runner('validate', 'dense-4d.yaml', lenet);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(`ok  ${lenet}\n`);
    expect(result.stderr).toBe(
      'dense-4d.yaml:9:7 error bad-input-rank: model.layers[2]: dense expects a 2-D input [batch, features], found [batch, 13, 13, 16] (add `- flatten: {}` or `- globalAvgPool2d: {}` before it)\n' +
        '1 of 2 files invalid\n',
    );
    expectNoStackTrace(result);
  });

  it('says when a kernel is larger than its input', async () => {
    const result = await runner('validate', 'big-kernel.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^big-kernel\.yaml:9:7 error window-too-large: model\.layers\[2\]: conv2d kernelSize 5 is larger than the input 3x3 from \[batch, 3, 3, 1\]/,
    );
    expectNoStackTrace(result);
  });

  it('reports independent errors of several branches at once', async () => {
    const result = await runner('validate', 'branches.yaml');
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^branches\.yaml:11:7 error merge-shape-mismatch: model\.layers\[2\]: add expects inputs of one shape, found \[batch, 28, 28, 8\], \[batch, 26, 26, 8\]/,
      ),
      expect.stringMatching(
        /^branches\.yaml:14:7 error bad-input-rank: model\.layers\[3\]: dense expects a 2-D input/,
      ),
    ]);
    expectNoStackTrace(result);
  });

  it('requires the model to end in [batch, classes]', async () => {
    const result = await runner('validate', 'no-head.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^no-head\.yaml:7:7 error bad-output-shape: model\.layers\[0\]: the model output must be \[batch, classes\], found \[batch, 26, 26, 4\]/,
    );
  });
});

describe('runner plan', () => {
  it('prints LeNet-5 layer by layer with shapes, parameters and what would run', async () => {
    const result = await runner('plan', lenet);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^conv2d_1\s+conv2d\s+\[batch, 28, 28, 6\]\s+156\s+0$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^flatten_5\s+flatten\s+\[batch, 400\]\s+0\s+0$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^dense_8\s+dense\s+\[batch, 10\]\s+850\s+0$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^total\s+61,706\s+0$/));
    expect(result.stdout).toContain('params     61,706 (61,706 trainable, 0 non-trainable)\n');
    expect(result.stdout).toContain('data       mnist, batch size 128');
    expect(result.stdout).toContain('optimizer  adam, learning rate 0.001\n');
    expect(result.stdout).toContain('train      5 epochs');
    expect(result.stdout).toMatch(/^backend    auto/m);
  });

  it('prints the layers as CSV, one row per layer, as the JSON plan has them', async () => {
    const csv = await runner('plan', lenet, '--csv');
    expect(csv.code, csv.stderr).toBe(0);
    const [header, ...rows] = csv.stdout.trimEnd().split('\n');
    expect(header).toBe('layer,kind,inputs,output_shape,trainable,non_trainable');
    const json = JSON.parse((await runner('plan', lenet, '--json')).stdout) as {
      model: { layers: { name: string; kind: string; trainableParams: number }[] };
    };
    expect(rows.map((r) => r.split(',').slice(0, 2))).toEqual(
      json.model.layers.map((l) => [l.name, l.kind]),
    );
    expect(rows[0]).toBe('conv2d_1,conv2d,input,"[batch, 28, 28, 6]",156,0');
  });

  it('gives the same plan as JSON, with --set overrides applied', async () => {
    const result = await runner(
      'plan',
      mycnn,
      '--json',
      '--set',
      'train.optimizer.learningRate=3e-4',
      '--set',
      'data.batchSize=64',
    );
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      data: { batchSize: number };
      train: { epochs: number; optimizer: { type: string; learningRate: number } };
      model: {
        totalParams: number;
        trainableParams: number;
        nonTrainableParams: number;
        outputShape: unknown[];
        layers: { kind: string; nonTrainableParams: number }[];
      };
    };
    expect(plan.data.batchSize).toBe(64);
    expect(plan.train.optimizer).toMatchObject({ type: 'adam', learningRate: 3e-4 });
    expect(plan.model).toMatchObject({
      totalParams: 8212,
      trainableParams: 8110,
      nonTrainableParams: 102,
      outputShape: [null, 10],
    });
    expect(
      plan.model.layers.filter((l) => l.kind === 'batchNorm').map((l) => l.nonTrainableParams),
    ).toEqual([6, 32, 64]);
  });

  it('names the sweep a config would run', async () => {
    const result = await runner('plan', path.join(root, 'configs/lenet-sweep.yaml'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'sweep      grid train.optimizer.learningRate (3 values): 3 trials, maximize test/accuracy',
    );
  });

  it('fails like validate on a model that does not compile', async () => {
    const result = await runner('plan', 'dense-4d.yaml');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^dense-4d\.yaml:9:7 error bad-input-rank: /);
    expectNoStackTrace(result);
  });
});

describe('runner schema', () => {
  it('prints the schema the repository ships', async () => {
    const result = await runner('schema');
    expect(result.code).toBe(0);
    const shipped = JSON.parse(
      await readFile(path.join(root, 'schema/experiment.schema.json'), 'utf8'),
    ) as unknown;
    expect(JSON.parse(result.stdout)).toEqual(shipped);
  });
});
