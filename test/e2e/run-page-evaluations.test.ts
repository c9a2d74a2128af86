/**
 * The run page's evaluations in a real Chromium (Debian's, driven by
 * playwright-core): the confusion matrix and per-class scores the store
 * holds, and the grid of the most confidently misclassified images of each
 * evaluation, for an image-folder run trained and evaluated (on another
 * folder) through the CLI.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from './browser-kit.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInterface } from 'node:readline';
import { artifactsDirOf, readStore, runCli, startCli } from './cli-kit.js';
import { makeTempDir } from '../test-kit.js';
import { writeImageFolder } from '../data/image-fixtures.js';

const OUTPUT = path.join(process.cwd(), 'test-output');
const skip = skipWithoutChromium('run page evaluations');

describe.skipIf(skip)('run page evaluations in Chromium', () => {
  const ws = makeTempDir('run-page-evaluations');
  const classes = ['circle', 'square', 'triangle'];
  let browser: Browser;
  let serve: ReturnType<typeof startCli> | undefined;
  let url = '';
  let runId = 0;

  beforeAll(async () => {
    await writeImageFolder(path.join(ws.dir, 'img/train'), classes, 6, [8, 8, 1], 'png', 0);
    await writeImageFolder(path.join(ws.dir, 'img/test'), classes, 6, [8, 8, 1], 'png', 300);
    await writeImageFolder(path.join(ws.dir, 'img/other'), classes, 5, [8, 8, 1], 'png', 700);
    ws.write('other.yaml', 'data:\n  test: { dir: img/other }\n');
    // One epoch at a tiny learning rate: a model that still gets many test images wrong.
    ws.write(
      'images.yaml',
      `data:
  dataset: images
  batchSize: 6
  train: { dir: img/train }
  test: { dir: img/test }
model:
  layers:
    - flatten: {}
    - dense: { units: 3 }
train:
  epochs: 1
  optimizer: { type: adam, learningRate: 0.0001 }
`,
    );
    const env = { XDG_CACHE_HOME: path.join(ws.dir, 'cache') };
    const trained = await runCli(['exp', 'images.yaml', '--db', ws.db, '--quiet'], ws.dir, env);
    expect(trained.stderr).toBe('');
    runId = Number(/run (\d+)/.exec(trained.stdout)![1]);
    const evaluated = await runCli(
      ['eval', String(runId), '--data', 'other.yaml', '--db', ws.db],
      ws.dir,
      env,
    );
    expect(evaluated.code).toBe(0);
    // The dashboard as a user starts it; its first stdout line is the URL.
    serve = startCli(['serve', '--db', ws.db, '--port', '0'], ws.dir, env);
    url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve!.stdout! }).once('line', resolve);
      void serve!.result.then((r) => reject(new Error(`runner serve exited: ${r.stderr}`)));
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    serve?.kill('SIGINT');
    await serve?.result;
    ws.remove();
  });

  it('shows the recorded confusion matrix with per-class scores, every evaluation, and the misclassified images', async () => {
    const stored = readStore(ws.db, (sql) =>
      sql
        .prepare('select kind, confusion_json from evaluations where run_id = ? order by id')
        .all(runId),
    ) as { kind: string; confusion_json: string }[];
    expect(stored.map((e) => e.kind)).toEqual(['training', 'eval']);
    const counts = JSON.parse(stored.at(-1)!.confusion_json) as number[][];
    const wrong = counts
      .flatMap((row, t) => row.filter((_, p) => p !== t))
      .reduce((a, b) => a + b, 0);
    expect(wrong).toBeGreaterThan(0);

    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url.replace(/\/$/, '')}/runs/${runId}`);
    await page.waitForSelector('#confusion-matrix table.confusion');
    const cells = await page.$$eval('#confusion-matrix table.confusion tbody tr', (rows) =>
      rows.map((row) => Array.from(row.querySelectorAll('td'), (td) => Number(td.textContent))),
    );
    expect(cells).toEqual(counts);
    const rowNames = await page.$$eval('#confusion-matrix table.confusion tbody th', (ths) =>
      ths.map((th) => th.textContent),
    );
    expect(rowNames).toEqual(classes);
    const supports = await page.$$eval('#confusion-matrix table.class-scores tbody tr', (rows) =>
      rows.map((row) => Number(row.querySelectorAll('td')[4]?.textContent)),
    );
    expect(supports).toEqual(counts.map((row) => row.reduce((a, b) => a + b, 0)));
    expect(await page.$$eval('#evaluations li', (lis) => lis.length)).toBe(2);

    // Shown first: the grid of the newest evaluation (runner eval on img/other), by file.
    const gridOf = (evaluationId: number) =>
      JSON.parse(
        readFileSync(
          path.join(artifactsDirOf(ws.db, runId), 'misclassified', `${evaluationId}.json`),
          'utf8',
        ),
      ) as { examples: { file?: string; probability: number }[] };
    const ids = readStore(ws.db, (sql) =>
      sql.prepare('select id from evaluations where run_id = ? order by id').pluck().all(runId),
    ) as number[];
    const wrongOf = (c: number[][]) =>
      c.flatMap((row, t) => row.filter((_, p) => p !== t)).reduce((a, b) => a + b, 0);
    const readGrid = async () => {
      await page.waitForSelector('#misclassified img');
      const images = await page.$$eval('#misclassified img', (imgs) =>
        (imgs as HTMLImageElement[]).map((img) => ({
          alt: img.alt,
          loaded: img.complete && img.naturalWidth === 8 && img.naturalHeight === 8,
        })),
      );
      for (const image of images) {
        expect(image.loaded).toBe(true);
        const [, truth, predicted] = /: (\w+) predicted as (\w+)$/.exec(image.alt)!;
        expect(truth).not.toBe(predicted);
      }
      // Most confident first.
      const confidence = await page.$$eval('#misclassified li > span:first-of-type', (spans) =>
        spans.map((s) => Number(/([\d.]+)%/.exec(s.textContent ?? '')?.[1])),
      );
      expect(confidence).toEqual([...confidence].sort((a, b) => b - a));
      return images.map((i) => i.alt.split(':')[0]);
    };
    const evalGrid = gridOf(ids[1]!);
    expect(evalGrid.examples.length).toBe(Math.min(16, wrong));
    expect(await readGrid()).toEqual(evalGrid.examples.map((e) => e.file));
    expect(await page.textContent('#misclassified p')).toMatch(
      /^runner eval, final model on data:/,
    );

    // "show" on the end-of-training evaluation: its matrix and its grid of test images.
    await page.click('#evaluations li[data-evaluation="' + ids[0] + '"] button');
    await page.waitForSelector(`#misclassified[data-evaluation="${ids[0]}"]`);
    const trainingCounts = JSON.parse(stored[0]!.confusion_json) as number[][];
    const trainingCells = await page.$$eval('#confusion-matrix table.confusion tbody tr', (rows) =>
      rows.map((row) => Array.from(row.querySelectorAll('td'), (td) => Number(td.textContent))),
    );
    expect(trainingCells).toEqual(trainingCounts);
    const trainingGrid = await readGrid();
    expect(trainingGrid).toHaveLength(Math.min(16, wrongOf(trainingCounts)));
    // Named by their files in img/test.
    expect(trainingGrid).toEqual(gridOf(ids[0]!).examples.map((e) => e.file));
    expect(trainingGrid.every((alt) => /^(circle|square|triangle)\/\d{3}\.png$/.test(alt!))).toBe(
      true,
    );
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'run-page-evaluations.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
