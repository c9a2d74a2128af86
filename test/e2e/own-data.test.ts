import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readStore, runCli } from './cli-kit.js';
import { makeTempDir } from '../test-kit.js';
import { writeImage, writeImageFolder } from '../data/image-fixtures.js';

/** Image folders and CSV tables the test writes, trained through the CLI as a user would. */
describe('own data through runner exp', () => {
  const ws = makeTempDir('own-data');
  const env = { XDG_CACHE_HOME: path.join(ws.dir, 'cache') };
  const classes = ['circle', 'square', 'triangle'];
  const exp = (config: string, name: string) =>
    runCli(['exp', ws.write(`${name}.yaml`, config), '--db', ws.db, '--quiet'], ws.dir, env);
  const imagesConfig = (train: string, test: string, extra = '', model = '') => `
data:
  dataset: images
  batchSize: 8
  train: { dir: ${train} }
  test: { dir: ${test} }
${extra}
model:
${model}
  layers:
    - flatten: {}
    - dense: { units: 3 }
train:
  epochs: 6
  optimizer: { type: adam, learningRate: 0.02 }
`;
  const lastRun = () =>
    readStore(ws.db, (sql) => {
      const run = sql
        .prepare('select id, data_info, notices from runs order by id desc limit 1')
        .get() as {
        id: number;
        data_info: string;
        notices: string;
      };
      const evaluation = sql
        .prepare('select * from evaluations where run_id = ? order by id desc limit 1')
        .get(run.id) as Record<string, unknown> | undefined;
      const metrics = sql
        .prepare(`select key, value from metrics where run_id = ? order by step`)
        .all(run.id) as { key: string; value: number }[];
      return { ...run, evaluation, metrics };
    });
  const runCount = () =>
    readStore(
      ws.db,
      (sql) => (sql.prepare('select count(*) n from runs').get() as { n: number }).n,
    );

  beforeAll(async () => {
    await writeImageFolder(path.join(ws.dir, 'grey/train'), classes, 8, [8, 8, 1], 'png', 0);
    await writeImageFolder(path.join(ws.dir, 'grey/test'), classes, 4, [8, 8, 1], 'png', 500);
    await writeImageFolder(path.join(ws.dir, 'rgb/train'), classes, 8, [10, 12, 3], 'jpeg', 0);
    await writeImageFolder(path.join(ws.dir, 'rgb/test'), classes, 3, [10, 12, 3], 'jpeg', 700);
  });
  afterAll(() => ws.remove());

  it('trains on a grey PNG folder without model.input, records the classes and a confusion matrix that sums to the test count', async () => {
    const { code, stdout, stderr } = await exp(imagesConfig('grey/train', 'grey/test'), 'grey');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/test accuracy/);
    const run = lastRun();
    const info = JSON.parse(run.data_info) as { classes: string[]; shape: number[] };
    expect(info.classes).toEqual(classes);
    expect(info.shape).toEqual([8, 8, 1]);
    const confusion = JSON.parse(run.evaluation!['confusion_json'] as string) as number[][];
    const total = confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(12);
    expect(confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([4, 4, 4]);
    const accuracy = run.metrics.filter((m) => m.key === 'test/accuracy').at(-1)!.value;
    const diagonal = confusion.reduce((sum, row, i) => sum + row[i]!, 0);
    expect(diagonal / total).toBeCloseTo(accuracy, 10);
    expect(accuracy).toBeGreaterThan(0.9);
  });

  it('resizes and converts RGB JPEGs to model.input, and refuses a model.input that does not fit the data before training', async () => {
    const resized = await exp(
      imagesConfig('rgb/train', 'rgb/test', '', '  input: [6, 6, 1]'),
      'rgb-resized',
    );
    expect(resized.stderr).toBe('');
    expect(JSON.parse(lastRun().data_info).shape).toEqual([6, 6, 1]);
    const before = runCount();
    const wrong = await exp(
      imagesConfig(
        'rgb/train',
        'rgb/test',
        '  image: { size: [10, 12], channels: 3 }',
        '  input: [10, 12, 1]',
      ),
      'rgb-wrong',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^error: model\.input \[10,12,1\] does not match the images of images: 10x12x3/m,
    );
    expect(runCount()).toBe(before);
  });

  it('names a corrupt file, or skips it with data.skipBadFiles and says how many', async () => {
    await writeImageFolder(path.join(ws.dir, 'bad/train'), classes, 3, [8, 8, 1]);
    writeFileSync(path.join(ws.dir, 'bad/train/square/broken.png'), 'this is not a PNG');
    const before = runCount();
    const refused = await exp(imagesConfig('bad/train', 'grey/test'), 'bad');
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')[0]).toMatch(
      /^error: .*bad\/train\/square\/broken\.png: .*\(in data\.train\.dir; nothing trained\)$/,
    );
    expect(refused.stderr).toMatch(/data\.skipBadFiles: true/);
    expect(runCount()).toBe(before);
    const skipped = await exp(
      imagesConfig('bad/train', 'grey/test', '  skipBadFiles: true'),
      'bad-skip',
    );
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toBe('');
    expect(JSON.parse(lastRun().notices).join('\n')).toMatch(/skipped 1 bad file in .*broken\.png/);
  });

  it('refuses an empty class folder, a test class not in train and mixed sizes, each in one line naming it', async () => {
    await writeImageFolder(path.join(ws.dir, 'odd/train'), ['a', 'b'], 2, [8, 8, 1]);
    await writeImageFolder(path.join(ws.dir, 'odd/test'), ['a', 'zebra'], 1, [8, 8, 1]);
    mkdirSync(path.join(ws.dir, 'odd/train/c'));
    const empty = await exp(imagesConfig('odd/train', 'odd/test'), 'empty');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^error: .*odd\/train\/c: class folder "c" has no files$/m);
    rmSync(path.join(ws.dir, 'odd/train/c'), { recursive: true });
    const unknown = await exp(imagesConfig('odd/train', 'odd/test'), 'unknown');
    expect(unknown.stderr).toMatch(
      /^error: .*odd\/test\/zebra: class "zebra" is in the test folder but not in the training folder$/m,
    );
    await writeImage(path.join(ws.dir, 'odd/train/b/wide.png'), new Uint8Array(8 * 9), [8, 9, 1]);
    const mixed = await exp(imagesConfig('odd/train', 'odd/test'), 'mixed');
    expect(mixed.stderr).toMatch(
      /odd\/train\/b\/wide\.png: the image is 8x9 .*set data\.image\.size/,
    );
  });

  it('loads the second time from the decoded cache', async () => {
    await exp(imagesConfig('grey/train', 'grey/test'), 'cached');
    const out = await runCli(['runs', 'show', String(lastRun().id), '--db', ws.db], ws.dir, env);
    expect(out.stdout).toMatch(/decoded cache/);
  });

  it('trains a regression on a CSV table whose test RMSE beats predicting the training mean', async () => {
    // y = 3 x1 - 2 x2 + (colour bonus) + small noise, with a categorical column.
    let state = 7;
    const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const rows = (count: number) => {
      const out: string[] = ['x1,x2,colour,y'];
      const ys: number[] = [];
      for (let i = 0; i < count; i++) {
        const x1 = random() * 10;
        const x2 = random() * 5;
        const colour = ['red', 'green', 'blue'][i % 3]!;
        const y = 3 * x1 - 2 * x2 + (colour === 'red' ? 4 : 0) + (random() - 0.5) * 0.5;
        ys.push(y);
        out.push(`${x1.toFixed(3)},${x2.toFixed(3)},${colour},${y.toFixed(3)}`);
      }
      return { text: out.join('\n') + '\n', ys };
    };
    const train = rows(300);
    const test = rows(60);
    ws.write('reg-train.csv', train.text);
    ws.write('reg-test.csv', test.text);
    const config = `
data:
  dataset: csv
  batchSize: 16
  train: { file: reg-train.csv }
  test: { file: reg-test.csv }
  target: y
model:
  layers:
    - dense: { units: 16, activation: relu }
    - dense: { units: 1 }
train:
  loss: mse
  epochs: 30
  optimizer: { type: adam, learningRate: 0.02 }
`;
    const { code, stdout, stderr } = await exp(config, 'regression');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/test rmse/);
    const run = lastRun();
    const keys = new Set(run.metrics.map((m) => m.key));
    expect(keys).toContain('test/rmse');
    expect(keys).toContain('test/mae');
    expect(keys).not.toContain('test/accuracy');
    expect(keys).not.toContain('train/accuracy');
    const rmse = run.metrics.filter((m) => m.key === 'test/rmse').at(-1)!.value;
    const mean = train.ys.reduce((a, b) => a + Math.fround(b), 0) / train.ys.length;
    const baseline = Math.sqrt(test.ys.reduce((s, y) => s + (y - mean) ** 2, 0) / test.ys.length);
    expect(rmse).toBeLessThan(baseline / 3);
    const info = JSON.parse(run.data_info) as { preprocessing: { columns: { name: string }[] } };
    expect(info.preprocessing.columns.map((c) => c.name)).toEqual(['x1', 'x2', 'colour']);
  });

  it('names a missing CSV file, or a folder given as one, in one line', async () => {
    mkdirSync(path.join(ws.dir, 'a-folder'), { recursive: true });
    const config = (file: string) => `
data:
  dataset: csv
  batchSize: 8
  train: { file: ${file} }
  test: { file: ${file} }
  target: y
model:
  layers:
    - dense: { units: 1 }
train:
  loss: mse
  epochs: 1
`;
    const missing = await exp(config('no-such.csv'), 'missing-csv');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')[0]).toMatch(/no-such\.csv: no such file/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const folder = await exp(config('a-folder'), 'folder-csv');
    expect(folder.code).toBe(1);
    expect(folder.stderr.trim().split('\n')[0]).toMatch(/a-folder: is a folder, not a CSV file/);
    expect(folder.stderr).not.toMatch(/\n\s+at /);
  });

  it('says that a table trains in one replica when train.workers asks for more', async () => {
    const rows = [
      'x,y',
      ...Array.from({ length: 40 }, (_, i) => `${i / 10},${(i / 5).toFixed(2)}`),
    ];
    ws.write('line.csv', rows.join('\n') + '\n');
    const config = `
data:
  dataset: csv
  batchSize: 8
  train: { file: line.csv }
  test: { file: line.csv }
  target: y
model:
  layers:
    - dense: { units: 1 }
train:
  loss: mse
  epochs: 1
  workers: 2
`;
    const { code } = await exp(config, 'line');
    expect(code).toBe(0);
    expect(lastRun().notices).toContain(
      'train.workers: 2 not used: regression trains in one replica',
    );
  });

  it('classifies string labels of a CSV table, and names the line and column of a missing value', async () => {
    const lines = ['a,b,kind'];
    for (let i = 0; i < 90; i++)
      lines.push(`${i % 3},${(i * 7) % 5},${['low', 'mid', 'high'][i % 3]}`);
    ws.write('cls-train.csv', lines.join('\n') + '\n');
    ws.write('cls-test.csv', 'a,b,kind\n0,1,low\n1,2,mid\n2,3,high\n');
    const config = (file: string) => `
data:
  dataset: csv
  batchSize: 16
  train: { file: ${file} }
  test: { file: cls-test.csv }
  target: kind
model:
  layers:
    - dense: { units: 3 }
train:
  epochs: 20
  optimizer: { type: adam, learningRate: 0.05 }
`;
    const { code, stderr } = await exp(config('cls-train.csv'), 'classes');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const run = lastRun();
    expect(JSON.parse(run.evaluation!['classes_json'] as string)).toEqual(['high', 'low', 'mid']);
    ws.write('holes.csv', 'a,b,kind\n0,1,low\n1,,mid\n2,3,high\n');
    const missing = await exp(config('holes.csv'), 'holes');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error: .*holes\.csv:3: column "b" is empty \(a missing value\)$/m,
    );
  });
});
