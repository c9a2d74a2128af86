import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '../../src/tf.js';

// tfjs's "looks like you are running in Node.js" banner is not this test's output.
tf.env().set('PROD', true);
import { artifactsDirOf, lastMetric as lastMetricOf, readStore, runCli } from './cli-kit.js';
import { makeTempDir } from '../test-kit.js';
import { writeImageFolder } from '../data/image-fixtures.js';

interface PredictionJson {
  input: string;
  class?: string;
  probability?: number;
  top?: { class: string; probability: number }[];
  value?: number;
}

/** A trained run's model through `runner eval` and `runner predict`, as a user would. */
describe('runner eval and runner predict', () => {
  const ws = makeTempDir('eval-predict');
  const env = { XDG_CACHE_HOME: path.join(ws.dir, 'cache') };
  const classes = ['circle', 'square', 'triangle'];
  const cli = (...args: string[]) => runCli([...args, '--db', ws.db], ws.dir, env);
  const lastMetric = (runId: number, key: string) => lastMetricOf(ws.db, runId, key);
  const evaluations = (runId: number) =>
    readStore(
      ws.db,
      (sql) =>
        sql.prepare('select * from evaluations where run_id = ? order by id').all(runId) as Record<
          string,
          unknown
        >[],
    );
  const runCount = () =>
    readStore(
      ws.db,
      (sql) => (sql.prepare('select count(*) n from runs').get() as { n: number }).n,
    );
  let imageRun = 0;
  let tableRun = 0;
  const testFiles: string[] = [];
  const tableRows: { x1: number; x2: number; colour: string; y: number }[] = [];

  beforeAll(async () => {
    await writeImageFolder(path.join(ws.dir, 'img/train'), classes, 8, [8, 8, 1], 'png', 0);
    await writeImageFolder(path.join(ws.dir, 'img/test'), classes, 4, [8, 8, 1], 'png', 500);
    await writeImageFolder(path.join(ws.dir, 'img/other'), classes, 3, [8, 8, 1], 'png', 900);
    for (const c of classes) for (let i = 0; i < 4; i++) testFiles.push(`img/test/${c}/00${i}.png`);
    ws.write(
      'images.yaml',
      `data:
  dataset: images
  batchSize: 8
  train: { dir: img/train }
  test: { dir: img/test }
model:
  layers:
    - flatten: {}
    - dense: { units: 3 }
train:
  epochs: 3
  optimizer: { type: adam, learningRate: 0.01 }
`,
    );
    const images = await cli('exp', 'images.yaml', '--quiet');
    expect(images.stderr).toBe('');
    imageRun = Number(/run (\d+)/.exec(images.stdout)![1]);

    let state = 11;
    const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const table = (count: number, keep: boolean) => {
      const lines = ['x1,x2,colour,y'];
      for (let i = 0; i < count; i++) {
        const row = { x1: random() * 10, x2: random() * 5, colour: ['red', 'blue'][i % 2]! };
        const y = 3 * row.x1 - 2 * row.x2 + (row.colour === 'red' ? 4 : 0);
        if (keep) tableRows.push({ ...row, y });
        lines.push(`${row.x1.toFixed(3)},${row.x2.toFixed(3)},${row.colour},${y.toFixed(3)}`);
      }
      return lines.join('\n') + '\n';
    };
    ws.write('train.csv', table(200, false));
    ws.write('test.csv', table(40, true));
    ws.write(
      'table.yaml',
      `data:
  dataset: csv
  batchSize: 16
  train: { file: train.csv }
  test: { file: test.csv }
  target: y
model:
  layers:
    - dense: { units: 8, activation: relu }
    - dense: { units: 1 }
train:
  loss: mse
  epochs: 4
  optimizer: { type: adam, learningRate: 0.02 }
`,
    );
    const tableExp = await cli('exp', 'table.yaml', '--quiet');
    expect(tableExp.stderr).toBe('');
    tableRun = Number(/run (\d+)/.exec(tableExp.stdout)![1]);
  }, 120_000);
  afterAll(() => ws.remove());

  it("evaluates the saved model on the run's test split with the run's own final metrics, recorded as an evaluation, not a run", async () => {
    const runs = runCount();
    const { code, stdout, stderr } = await cli('eval', String(imageRun), '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      split: string;
      count: number;
      metrics: Record<string, number>;
      confusion: { counts: number[][]; perClass: { support: number }[] };
    };
    expect(result.split).toBe('test');
    expect(result.count).toBe(12);
    expect(result.metrics['accuracy']).toBeCloseTo(lastMetric(imageRun, 'test/accuracy'), 6);
    expect(result.metrics['loss']).toBeCloseTo(lastMetric(imageRun, 'test/loss'), 5);
    expect(result.confusion.counts.flat().reduce((a, b) => a + b, 0)).toBe(12);
    expect(result.confusion.perClass.map((c) => c.support)).toEqual([4, 4, 4]);
    expect(runCount()).toBe(runs);
    const rows = evaluations(imageRun);
    expect(rows.map((r) => r['kind'])).toEqual(['training', 'eval']);
    expect(JSON.parse(rows[1]!['confusion_json'] as string)).toEqual(result.confusion.counts);

    const csv = await cli('eval', String(imageRun), '--csv');
    expect(csv.code, csv.stderr).toBe(0);
    const [header, ...metricRows] = csv.stdout.trimEnd().split('\n');
    expect(header).toBe('run_id,evaluation_id,checkpoint,split,count,metric,value');
    expect(
      Object.fromEntries(metricRows.map((r) => [r.split(',')[5], Number(r.split(',')[6])])),
    ).toEqual(result.metrics);

    const table = await cli('eval', String(imageRun));
    expect(table.stdout).toMatch(/final model on test \(12 examples\): loss \d\.\d{4} {2}accuracy/);
    expect(table.stdout).toMatch(/^ {4}circle +\d+ +\d+ +\d+$/m);
    expect(table.stdout).toMatch(/macro F1 \d\.\d{4}/);
  });

  it('evaluates other data given like a config data section, with --checkpoint best', async () => {
    ws.write('other.yaml', 'data:\n  test: { dir: img/other }\n');
    const { code, stdout, stderr } = await cli(
      'eval',
      String(imageRun),
      '--data',
      'other.yaml',
      '--checkpoint',
      'best',
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { split: string; count: number; checkpoint: string };
    expect(result).toMatchObject({ split: 'data', count: 9, checkpoint: 'best' });
    const last = evaluations(imageRun).at(-1)!;
    expect(JSON.parse(last['data_json'] as string).test).toEqual({ dir: 'img/other' });
  });

  it('shows the newest confusion matrix and every evaluation in runs show', async () => {
    const { stdout } = await cli('runs', 'show', String(imageRun));
    expect(stdout).toMatch(/^evaluations:$/m);
    expect(stdout).toMatch(/end of training, final model on test \(12 examples\)/);
    expect(stdout).toMatch(/runner eval, best model on data \(9 examples\)/);
    expect(stdout).toMatch(/confusion matrix: 9 examples/);
    const json = JSON.parse((await cli('runs', 'show', String(imageRun), '--json')).stdout) as {
      evaluations: { kind: string; confusion?: number[][] }[];
    };
    expect(json.evaluations[0]!.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(12);
  });

  it("predicts each image's class, probability and top 3 as the saved model computes them", async () => {
    const { code, stdout, stderr } = await cli('predict', String(imageRun), ...testFiles, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const predictions = JSON.parse(stdout) as PredictionJson[];
    expect(predictions.map((p) => p.input)).toEqual(testFiles);
    // The same images through the saved model directly: pixels / 255, softmax.
    const dir = path.join(artifactsDirOf(ws.db, imageRun), 'model');
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const weights = readFileSync(path.join(dir, 'weights.bin'));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(weights).buffer,
      }),
    );
    const pixels = await Promise.all(
      testFiles.map((f) => sharp(path.join(ws.dir, f)).greyscale().raw().toBuffer()),
    );
    const input = tf.tensor4d(
      Float32Array.from(pixels.flatMap((p) => Array.from(p, (v) => v / 255))),
      [testFiles.length, 8, 8, 1],
    );
    const expected = tf.softmax(model.predict(input) as tf.Tensor2D).arraySync() as number[][];
    let correct = 0;
    predictions.forEach((p, i) => {
      const probabilities = expected[i]!;
      const best = probabilities.indexOf(Math.max(...probabilities));
      expect(p.class).toBe(classes[best]);
      expect(p.probability).toBeCloseTo(probabilities[best]!, 5);
      expect(p.top!.map((t) => t.probability)).toEqual(
        [...p.top!.map((t) => t.probability)].sort((a, b) => b - a),
      );
      expect(p.top).toHaveLength(3);
      if (p.class === testFiles[i]!.split('/')[2]) correct++;
    });
    expect(correct / testFiles.length).toBeCloseTo(lastMetric(imageRun, 'test/accuracy'), 6);
    const shown = await cli('predict', String(imageRun), testFiles[0]!);
    expect(shown.stdout).toMatch(/^input +class +probability +top 3$/m);
    expect(shown.stdout).toMatch(/img\/test\/circle\/000\.png +\w+ +0\.\d{4} +\w+ 0\.\d{3}, /);
  });

  it('writes a CSV in as a CSV out with a prediction column, agreeing with the run’s test RMSE', async () => {
    const evaluated = JSON.parse((await cli('eval', String(tableRun), '--json')).stdout) as {
      metrics: Record<string, number>;
    };
    expect(evaluated.metrics['rmse']).toBeCloseTo(lastMetric(tableRun, 'test/rmse'), 4);
    expect(evaluated.metrics['mae']).toBeCloseTo(lastMetric(tableRun, 'test/mae'), 4);
    const { code, stdout, stderr } = await cli('predict', String(tableRun), 'test.csv');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('x1,x2,colour,y,prediction');
    expect(lines).toHaveLength(41);
    const predicted = lines.slice(1).map((l) => Number(l.split(',')[4]));
    const rmse = Math.sqrt(
      predicted.reduce((s, p, i) => s + (p - Math.fround(tableRows[i]!.y)) ** 2, 0) / 40,
    );
    expect(rmse).toBeCloseTo(lastMetric(tableRun, 'test/rmse'), 2);
    // Rows without the target, columns in another order, an extra column: encoded by name.
    ws.write('ask.csv', 'colour,note,x2,x1\nred,"a, b",1,2\n');
    const asked = await cli('predict', String(tableRun), 'ask.csv', '--json');
    expect(asked.stderr).toBe('');
    const [one] = JSON.parse(asked.stdout) as PredictionJson[];
    expect(one!.input).toBe('ask.csv:2');
    expect(Number.isFinite(one!.value)).toBe(true);
  });

  it('prints a plain line every tenth of the examples while it evaluates with stderr piped', async () => {
    // 40 test rows in batches of 2: 20 batches, a line at each tenth (10% .. 90%), none at the end.
    const { code, stdout, stderr } = await cli(
      'eval',
      String(tableRun),
      '--set',
      'data.batchSize=2',
    );
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('\r');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toEqual(
      [4, 8, 12, 16, 20, 24, 28, 32, 36].map(
        (done) => `run ${tableRun}: evaluating ${done * 2.5}% (${done}/40 examples)`,
      ),
    );
    expect(stdout).toMatch(new RegExp(`^run ${tableRun}, final model on data \\(40 examples\\)`));
    // Programs get only the result.
    const json = await cli('eval', String(tableRun), '--set', 'data.batchSize=2', '--json');
    expect(json.stderr).toBe('');
  });

  it('says in one line what is wrong with each bad input, and records nothing', async () => {
    const before = evaluations(imageRun).length;
    const firstLine = async (...args: string[]) => {
      const result = await cli(...args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      return result.stderr.split('\n')[0];
    };
    ws.write('broken.png', 'not a png');
    expect(await firstLine('predict', String(imageRun), 'broken.png')).toMatch(
      /^error: cannot read image broken\.png: /,
    );
    expect(await firstLine('predict', String(imageRun), 'missing.png', 'broken.png')).toBe(
      'error: 2 files cannot be read as images:',
    );
    expect(await firstLine('predict', String(imageRun), 'test.csv')).toMatch(
      /^error: predict: test\.csv: run \d+ was trained on images \(dataset images\); give image files$/,
    );
    ws.write('wrong.csv', 'x1,colour\n1,red\n');
    expect(await firstLine('predict', String(tableRun), 'wrong.csv')).toMatch(
      /wrong\.csv:1: no column "x2" in the header$/,
    );
    ws.write('unseen.csv', 'x1,x2,colour\n1,2,green\n');
    expect(await firstLine('predict', String(tableRun), 'unseen.csv')).toMatch(
      /unseen\.csv:2: column "colour" holds "green", a category the training split does not have$/,
    );
    expect(await firstLine('eval', String(imageRun), '--set', 'data.image.size=[4, 4]')).toMatch(
      /^error: the model of run \d+ takes input \[8, 8, 1\], but the data gives \[4, 4, 1\]$/,
    );
    expect(await firstLine('eval', String(imageRun), '--set', 'train.epochs=1')).toMatch(
      /^error: --set train\.epochs=1: eval only changes data\.\*/,
    );
    ws.write('model.yaml', 'model: { layers: [] }\n');
    expect(await firstLine('eval', String(imageRun), '--data', 'model.yaml')).toMatch(
      /^error: --data model\.yaml: expected a file with only a data: section, found model$/,
    );
    expect(await firstLine('eval', '999')).toMatch(/^error: eval: no run with id 999 in /);
    const modelDir = path.join(artifactsDirOf(ws.db, imageRun), 'model');
    renameSync(modelDir, `${modelDir}-gone`);
    try {
      expect(await firstLine('eval', String(imageRun))).toMatch(
        /^error: run \d+ has no saved final model: .*model\/model\.json is missing$/,
      );
      expect(await firstLine('predict', String(imageRun), testFiles[0]!)).toMatch(
        /^error: run \d+ has no saved final model/,
      );
    } finally {
      renameSync(`${modelDir}-gone`, modelDir);
    }
    expect(evaluations(imageRun)).toHaveLength(before);
  });
});
