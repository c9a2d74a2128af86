import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '../../src/tf.js';

// tfjs's "looks like you are running in Node.js" banner is not this test's output.
tf.env().set('PROD', true);
import { artifactsDirOf, lastMetric as lastMetricOf, readStore, runCli } from './cli-kit.js';
import { makeTempDir } from '../test-kit.js';
import { writeImageFolder } from '../data/image-fixtures.js';

interface EvalJson {
  evaluationId: number;
  split: string;
  count: number;
  metrics: Record<string, number>;
  confusion: { counts: number[][] };
  misclassified?: {
    wrong: number;
    count: number;
    examples: { file?: string; trueClass: string; predictedClass: string; probability: number }[];
  };
}

/** The saved model of a run, loaded in the test with tfjs itself (not the runner's loader). */
async function savedModel(db: string, runId: number): Promise<tf.LayersModel> {
  const dir = path.join(artifactsDirOf(db, runId), 'model');
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const weights = readFileSync(path.join(dir, 'weights.bin'));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: new Uint8Array(weights).buffer,
    }),
  );
}

const argmax = (row: readonly number[]): number => row.indexOf(Math.max(...row));

/**
 * `runner eval` and `runner predict` need the model, what the run recorded
 * (classes, image size, CSV encoding) and the data given, not the training
 * data: here it is deleted, the decoded cache is empty and the commands run
 * from another folder, as on another machine.
 */
describe('runner eval and predict once the training data is gone', () => {
  const ws = makeTempDir('eval-no-train');
  const trainEnv = { XDG_CACHE_HOME: path.join(ws.dir, 'cache-train') };
  // "Another machine": its own (empty) decoded-image cache, its own working folder.
  const otherEnv = { XDG_CACHE_HOME: path.join(ws.dir, 'cache-other') };
  const elsewhere = path.join(ws.dir, 'elsewhere');
  const classes = ['cat', 'dog', 'fox'];
  const lastMetric = (runId: number, key: string) => lastMetricOf(ws.db, runId, key);
  const evalCount = (runId: number) =>
    readStore(
      ws.db,
      (sql) =>
        (
          sql.prepare('select count(*) n from evaluations where run_id = ?').get(runId) as {
            n: number;
          }
        ).n,
    );
  const atTrain = (...args: string[]) =>
    runCli([...args, '--db', ws.db], path.join(ws.dir, 'lab'), trainEnv);
  const atOther = (...args: string[]) => runCli([...args, '--db', ws.db], elsewhere, otherEnv);
  let imageRun = 0;
  let tableRun = 0;
  // The CSV training rows, to compute the standardisation the run must have recorded.
  const trainRows: { x: number; colour: string; label: string }[] = [];
  let state = 5;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const row = () => {
    const x = random() * 10 - 5;
    const colour = ['red', 'green', 'blue'][Math.floor(random() * 3)]!;
    const label = x + (colour === 'red' ? 2 : 0) > 1 ? 'high' : 'low';
    return { x, colour, label };
  };
  const csv = (rows: readonly { x: number; colour: string; label: string }[]) =>
    ['x,colour,label', ...rows.map((r) => `${r.x.toFixed(3)},${r.colour},${r.label}`)].join('\n') +
    '\n';

  beforeAll(async () => {
    const lab = path.join(ws.dir, 'lab');
    // RGB images of 12x12, trained at 8x8 (data.image.size): eval must resize as recorded.
    await writeImageFolder(path.join(lab, 'img/train'), classes, 8, [12, 12, 3], 'png', 0);
    await writeImageFolder(path.join(lab, 'img/test'), classes, 4, [12, 12, 3], 'png', 500);
    ws.write(
      'lab/images.yaml',
      `data:
  dataset: images
  batchSize: 8
  train: { dir: img/train }
  test: { dir: img/test }
  image: { size: [8, 8] }
model:
  layers:
    - flatten: {}
    - dense: { units: 3 }
train:
  epochs: 2
  optimizer: { type: adam, learningRate: 0.003 }
`,
    );
    const images = await atTrain('exp', 'images.yaml', '--quiet');
    expect(images.stderr).toBe('');
    imageRun = Number(/run (\d+)/.exec(images.stdout)![1]);

    for (let i = 0; i < 120; i++) trainRows.push(row());
    ws.write('lab/train.csv', csv(trainRows));
    // Evaluated on a validation split of its training file: no test file at all.
    ws.write(
      'lab/table.yaml',
      `data:
  dataset: csv
  batchSize: 16
  train: { file: train.csv }
  validationSplit: 0.25
  target: label
model:
  layers:
    - dense: { units: 2 }
train:
  epochs: 3
  optimizer: { type: adam, learningRate: 0.05 }
`,
    );
    const table = await atTrain('exp', 'table.yaml', '--quiet');
    expect(table.stderr).toBe('');
    tableRun = Number(/run (\d+)/.exec(table.stdout)![1]);

    // The training data is gone, and so is the training machine's decoded cache.
    rmSync(path.join(lab, 'img/train'), { recursive: true });
    rmSync(path.join(lab, 'train.csv'));
    rmSync(trainEnv.XDG_CACHE_HOME, { recursive: true, force: true });
    mkdirSync(elsewhere, { recursive: true });
  }, 120_000);
  afterAll(() => ws.remove());

  it("evaluates the run's own test folder with its final metrics, without its training folder", async () => {
    const { code, stdout, stderr } = await atTrain('eval', String(imageRun), '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as EvalJson;
    expect(result).toMatchObject({ split: 'test', count: 12 });
    expect(result.metrics['accuracy']).toBeCloseTo(lastMetric(imageRun, 'test/accuracy'), 6);
    expect(result.metrics['loss']).toBeCloseTo(lastMetric(imageRun, 'test/loss'), 5);
  });

  it('evaluates an image folder elsewhere as the model computes it, and keeps its misclassified grid', async () => {
    // Other images, of the run's size already, and only two of its three classes.
    await writeImageFolder(path.join(elsewhere, 'photos'), ['dog', 'fox'], 5, [8, 8, 3], 'png', 77);
    ws.write('elsewhere/photos.yaml', 'data:\n  test: { dir: photos }\n');
    const before = evalCount(imageRun);
    const { code, stdout, stderr } = await atOther(
      'eval',
      String(imageRun),
      '--data',
      'photos.yaml',
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as EvalJson;
    expect(result).toMatchObject({ split: 'data', count: 10 });
    expect(evalCount(imageRun)).toBe(before + 1);

    // The same files through the saved model, directly: RGB pixels / 255, softmax.
    const files = ['dog', 'fox'].flatMap((c) => [0, 1, 2, 3, 4].map((i) => `${c}/00${i}.png`));
    const pixels = await Promise.all(
      files.map((f) =>
        sharp(path.join(elsewhere, 'photos', f))
          .removeAlpha()
          .raw()
          .toBuffer(),
      ),
    );
    const model = await savedModel(ws.db, imageRun);
    const input = tf.tensor4d(
      Float32Array.from(pixels.flatMap((p) => Array.from(p, (v) => v / 255))),
      [files.length, 8, 8, 3],
    );
    const probabilities = tf.softmax(model.predict(input) as tf.Tensor2D).arraySync() as number[][];
    const truth = files.map((f) => classes.indexOf(f.split('/')[0]!));
    const wrong = files
      .map((file, i) => ({ file, i, predicted: argmax(probabilities[i]!) }))
      .filter((w) => w.predicted !== truth[w.i])
      .map((w) => ({ file: w.file, probability: probabilities[w.i]![w.predicted]! }))
      .sort((a, b) => b.probability - a.probability);
    expect(result.metrics['accuracy']).toBeCloseTo(1 - wrong.length / files.length, 6);
    expect(result.confusion.counts.flat().reduce((a, b) => a + b, 0)).toBe(10);
    expect(result.confusion.counts[0]).toEqual([0, 0, 0]);
    expect(wrong.length).toBeGreaterThan(0);

    // The grid of this evaluation: its wrong files, surest first, kept for the run page.
    expect(result.misclassified!.wrong).toBe(wrong.length);
    expect(result.misclassified!.examples.map((e) => e.file)).toEqual(wrong.map((w) => w.file));
    result.misclassified!.examples.forEach((e, i) =>
      expect(e.probability).toBeCloseTo(wrong[i]!.probability, 4),
    );
    const gridFile = path.join(
      artifactsDirOf(ws.db, imageRun),
      'misclassified',
      `${result.evaluationId}.json`,
    );
    const grid = JSON.parse(readFileSync(gridFile, 'utf8')) as {
      evaluationId: number;
      examples: { file: string; image: string }[];
    };
    expect(grid.evaluationId).toBe(result.evaluationId);
    expect(grid.examples.map((e) => e.file)).toEqual(wrong.map((w) => w.file));
    expect(grid.examples[0]!.image).toMatch(/^data:image\/png;base64,/);

    const text = await atOther('eval', String(imageRun), '--data', 'photos.yaml');
    expect(text.stdout).toContain(
      `${wrong.length} of 10 wrong; the ${Math.min(5, wrong.length)} most confidently misclassified`,
    );
    expect(text.stdout).toContain(`  ${wrong[0]!.file}: `);
  });

  it('predicts image files elsewhere without the training data', async () => {
    const file = 'photos/dog/000.png';
    const { code, stdout, stderr } = await atOther('predict', String(imageRun), file, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [prediction] = JSON.parse(stdout) as { input: string; class: string }[];
    expect(prediction!.input).toBe(file);
    expect(classes).toContain(prediction!.class);
  });

  it('evaluates and predicts a CSV file elsewhere with the encoding the run recorded', async () => {
    const rows = Array.from({ length: 30 }, row);
    ws.write('elsewhere/rows.csv', csv(rows));
    ws.write('elsewhere/rows.yaml', 'data:\n  test: { file: rows.csv }\n');
    const { code, stdout, stderr } = await atOther(
      'eval',
      String(tableRun),
      '--data',
      'rows.yaml',
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as EvalJson;
    expect(result).toMatchObject({ split: 'data', count: 30 });
    expect(result.misclassified).toBeUndefined();

    // The encoding computed here from the rows the run trained on (the first 75% of its
    // file; the rest was its val split): x standardised, colour one-hot (sorted).
    const seen = trainRows.slice(0, 90);
    const mean = seen.reduce((s, r) => s + Number(r.x.toFixed(3)), 0) / seen.length;
    const std = Math.sqrt(
      seen.reduce((s, r) => s + (Number(r.x.toFixed(3)) - mean) ** 2, 0) / seen.length,
    );
    const colours = ['blue', 'green', 'red'];
    const features = rows.flatMap((r) => [
      (Number(r.x.toFixed(3)) - mean) / std,
      ...colours.map((c) => (c === r.colour ? 1 : 0)),
    ]);
    const model = await savedModel(ws.db, tableRun);
    const outputs = (
      model.predict(tf.tensor2d(features, [rows.length, 4])) as tf.Tensor2D
    ).arraySync() as number[][];
    const labels = ['high', 'low'];
    const correct = rows.filter((r, i) => labels[argmax(outputs[i]!)] === r.label).length;
    expect(result.metrics['accuracy']).toBeCloseTo(correct / rows.length, 6);

    const predicted = await atOther('predict', String(tableRun), 'rows.csv');
    expect(predicted.stderr).toBe('');
    const lines = predicted.stdout.trim().split('\n');
    expect(lines[0]).toBe('x,colour,label,prediction,probability');
    expect(lines.slice(1).map((l) => l.split(',')[3])).toEqual(
      outputs.map((o) => labels[argmax(o)]),
    );
  });

  it('says in one line when only the training data can give what was asked', async () => {
    const firstLine = async (result: Promise<{ code: number; stderr: string }>) => {
      const { code, stderr } = await result;
      expect(code).not.toBe(0);
      expect(stderr).not.toMatch(/\n\s+at /);
      return stderr.split('\n').filter((l) => l !== '');
    };
    const before = evalCount(tableRun);
    // The table run was evaluated on a val split of its (deleted) training file.
    const valSplit = await firstLine(atTrain('eval', String(tableRun)));
    expect(valSplit[0]).toMatch(/^error: .*train\.csv/);
    expect(valSplit.join('\n')).toMatch(/data\.validationSplit 0\.25 of its training data/);
    expect(valSplit.join('\n')).toMatch(/--data FILE with data: \{test: \.\.\.\}/);
    expect(evalCount(tableRun)).toBe(before);
    // A class the run never learnt, in the folder given.
    await writeImageFolder(path.join(elsewhere, 'zoo/owl'), ['x'], 1, [8, 8, 3], 'png', 3);
    ws.write('elsewhere/zoo.yaml', 'data:\n  test: { dir: zoo/owl }\n');
    const unknown = await firstLine(atOther('eval', String(imageRun), '--data', 'zoo.yaml'));
    expect(unknown[0]).toMatch(/class "x" is in the test folder but not in the training folder$/);
    expect(existsSync(path.join(ws.dir, 'lab/img/train'))).toBe(false);
  });
});
