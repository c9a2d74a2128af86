/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core; no
 * browser is downloaded). A training process records a run while the page
 * is open: the loss curve must grow live; two runs must share the legend;
 * the sweep view must show its trials with the best one marked.
 * Screenshots land in test-output/ (git-ignored).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from './browser-kit.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { makeStore, makeTempDir, newRun, recordRun } from '../test-kit.js';

const OUTPUT = join(process.cwd(), 'test-output');
const skip = skipWithoutChromium('dashboard in Chromium');

interface Training {
  /** The dashboard's address. */
  readonly url: string;
  /** The id of the run being trained. */
  readonly runId: number;
  /** Ends training and dashboard (Ctrl-C), resolves with the exit code. */
  stop(): Promise<number | null>;
}

const MAIN = join(process.cwd(), 'dist/cli/main.js');

/**
 * Starts a short training on synthetic data with its dashboard, as a user
 * would: `runner exp configs/quick.yaml --serve`, made a few seconds long
 * (10 epochs of 128 steps), reading the dashboard's URL and the run id from
 * what it prints. After training it keeps serving until Ctrl-C.
 */
async function startTraining(dbPath: string): Promise<Training> {
  if (!existsSync(MAIN))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const args = ['exp', 'configs/quick.yaml', '--serve', '--port', '0', '--db', dbPath];
  args.push('--set', 'train.epochs=10', '--set', 'data.synthetic.train=4096');
  const child: ChildProcess = spawn(process.execPath, [MAIN, ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const started = new Promise<{ url: string; runId: number }>((resolve, reject) => {
    let url: string | undefined;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      url ??= /^dashboard: (http:\/\/\S+)/.exec(line)?.[1];
      const run = /^run (\d+) /.exec(line);
      if (url && run) resolve({ url, runId: Number(run[1]) });
    });
    void exited.then((code) =>
      reject(new Error(`runner exp exited (${code}) before training:\n${stderr}`)),
    );
  });
  const { url, runId } = await started;
  return {
    url,
    runId,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

async function chartPoints(page: Page, key: string): Promise<number> {
  return Number(await page.getAttribute(`.chart-card[data-key="${key}"]`, 'data-points'));
}

async function legendLabels(page: Page, key: string): Promise<string[]> {
  return page.$$eval(
    `.chart-card[data-key="${key}"] .u-legend .u-series:not(.raw) .u-label`,
    (els) => els.map((e) => e.textContent ?? '').filter((t) => t.startsWith('#')),
  );
}

describe.skipIf(skip)('dashboard in Chromium', () => {
  const temp = makeTempDir('dashboard-browser');
  let store: Store;
  let dbPath: string;
  let training: Training;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const ids = { long: 0, small: 0, sweep: 0, pruned: 0, trials: [] as number[] };

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    ({ store, path: dbPath } = await makeStore(temp.dir));
    ids.long = await recordRun(store, {
      name: 'lenet-100k-steps',
      steps: 100_000,
      epochs: 10,
      finalAccuracy: 0.97,
    });
    ids.small = await recordRun(store, {
      name: 'mycnn-baseline',
      steps: 180,
      epochs: 3,
      finalAccuracy: 0.91,
      learningRate: 0.003,
    });
    ids.sweep = await store.createSweep({
      name: 'lr-batch-grid',
      configYaml: 'name: lr-batch-grid\n',
      definition: {
        grid: {
          'train.optimizer.learningRate': [0.01, 0.001, 0.0001],
          'data.batchSize': [32, 128],
        },
        metric: 'test/accuracy',
        goal: 'maximize',
      },
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 8,
      host: 'test-host',
    });
    const accuracies = [0.81, 0.79, 0.95, 0.93, 0.62, 0.55];
    let trial = 0;
    for (const learningRate of [0.01, 0.001, 0.0001]) {
      for (const batchSize of [32, 128]) {
        ids.trials.push(
          await recordRun(store, {
            name: `lr-batch-grid-${trial}`,
            steps: 90,
            learningRate,
            batchSize,
            sweepId: ids.sweep,
            trialIndex: trial,
            finalAccuracy: accuracies[trial]!,
          }),
        );
        trial += 1;
      }
    }
    // Trial 7 was pruned after its first epoch (its value kept); trial 8 has not started.
    ids.pruned = await store.createRun(
      newRun({ name: 'lr-batch-grid-6', sweepId: ids.sweep, trialIndex: 6, learningRate: 0.1 }),
    );
    const writer = await store.createMetricWriter(ids.pruned);
    writer.add('test/accuracy', 30, 1, 0.3);
    await writer.close();
    await store.setRunFacts(ids.pruned, {
      notices: [
        'pruned at rung 0 (epoch 1): test/accuracy 0.3 is not among the best 2 of 7 trials there (needs 0.5)',
      ],
    });
    await store.finishRun(ids.pruned, { status: 'pruned' });
    await store.setSweepStatus(ids.sweep, 'completed');
    // The browser first, so the page is open while the run is young.
    browser = await launchChromium();
    page = await browser.newPage({
      viewport: { width: 1440, height: 1000 },
      acceptDownloads: true,
    });
    training = await startTraining(dbPath);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await training?.stop();
    store?.close();
    temp.remove();
  });

  it('grows the loss curve of the running run live, without reloading', async () => {
    await page.goto(training.url);
    // With no selection of the user's own, the page plots the running run.
    await page.waitForSelector(`.run-item.selected[data-run-id="${training.runId}"]`);
    await page.waitForFunction(
      () =>
        Number(
          document.querySelector('.chart-card[data-key="train/loss"]')?.getAttribute('data-points'),
        ) > 0,
    );
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const before = await chartPoints(page, 'train/loss');
    await expect
      .poll(() => chartPoints(page, 'train/loss'), { timeout: 10_000 })
      .toBeGreaterThan(before + 5);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.getAttribute('#live-indicator', 'data-state')).toBe('live');
  });

  it('overlays two selected runs, one colour each, both in the legend', async () => {
    await page.click(`.run-item[data-run-id="${ids.small}"] input[type="checkbox"]`);
    const live = `#${training.runId} quick`;
    const baseline = `#${ids.small} mycnn-baseline`;
    await expect.poll(() => legendLabels(page, 'train/loss')).toEqual([live, baseline]);
    // The running run's test curve starts at its first epoch end.
    await expect
      .poll(() => legendLabels(page, 'test/accuracy'), { timeout: 10_000 })
      .toEqual([live, baseline]);
    const colors = await page.$$eval('.chips .chip .swatch', (els) =>
      els.map((e) => getComputedStyle(e).backgroundColor),
    );
    expect(new Set(colors).size).toBe(2);
  });

  it('draws a 100,000-step run from its downsampled curve', async () => {
    const started = Date.now();
    await page.click(`.run-item[data-run-id="${ids.long}"] input[type="checkbox"]`);
    await page.waitForFunction(
      (id) =>
        document
          .querySelector('.chart-card[data-key="train/loss"]')
          ?.getAttribute('data-run-ids')
          ?.split(',')
          .includes(String(id)),
      ids.long,
    );
    const shownMs = Date.now() - started;
    const drawMs = Number(
      await page.getAttribute('.chart-card[data-key="train/loss"]', 'data-draw-ms'),
    );
    // The server sent at most 1,500 of the 100,000 points.
    const fetched = await page.evaluate(async (id) => {
      const t0 = performance.now();
      const response = await fetch(`/api/curves?runs=${id}&keys=train/loss&maxPoints=1500`);
      const body = (await response.json()) as { curves: { total: number; step: number[] }[] };
      return {
        ms: performance.now() - t0,
        total: body.curves[0]!.total,
        sent: body.curves[0]!.step.length,
      };
    }, ids.long);
    expect(fetched.total).toBe(100_000);
    expect(fetched.sent).toBeLessThanOrEqual(1500);
    writeFileSync(
      join(OUTPUT, 'dashboard-timings.json'),
      `${JSON.stringify({ curvePoints: fetched.total, pointsSent: fetched.sent, fetchMs: Math.round(fetched.ms), drawMs, selectToShownMs: shownMs }, null, 2)}\n`,
    );
    // Back to the two runs of the screenshot.
    await page.click(`.run-item[data-run-id="${ids.long}"] input[type="checkbox"]`);
    await expect.poll(() => legendLabels(page, 'train/loss')).toHaveLength(2);
  });

  it('controls smoothing, log scale and the x axis, and exports PNG and CSV', async () => {
    await page.fill('#smoothing', '0.8');
    await page.dispatchEvent('#smoothing', 'input');
    expect(await page.textContent('#smoothing-value')).toBe('0.80');
    await page.check('#log-scale');
    await page.click('button[data-x-mode="epoch"]');
    await page.waitForSelector('.chart-card[data-key="train/loss"] .u-legend');
    expect(
      await page.textContent(
        '.chart-card[data-key="train/loss"] .u-legend .u-series:first-child .u-label',
      ),
    ).toBe('epoch');
    await page.click('button[data-x-mode="step"]');

    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.click('.chart-card[data-key="train/loss"] button:has-text("PNG")'),
    ]);
    expect(png.suggestedFilename()).toBe('runner-train-loss.png');
    const pngPath = join(OUTPUT, 'dashboard-train-loss.png');
    await png.saveAs(pngPath);
    expect(readFileSync(pngPath).subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(pngPath).size).toBeGreaterThan(5_000);

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.click('.chart-card[data-key="test/accuracy"] button:has-text("CSV")'),
    ]);
    const csvPath = join(OUTPUT, 'dashboard-test-accuracy.csv');
    await csv.saveAs(csvPath);
    const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('run_id,run_name,key,step,epoch,time_ms,value');
    expect(lines.some((l) => l.startsWith(`${ids.small},mycnn-baseline,test/accuracy,`))).toBe(
      true,
    );
  });

  it('shows the finished run as completed, with every recorded point, and takes the screenshot', async () => {
    await page.waitForSelector(
      `.run-item[data-run-id="${training.runId}"][data-status="completed"]`,
      {
        timeout: 90_000,
      },
    );
    // Every point the training recorded reached the page, once: the live ones included.
    const recorded = (await store.getCurve(training.runId, 'train/loss')).length;
    expect(recorded).toBe(1280);
    await expect.poll(() => chartPoints(page, 'train/loss')).toBe(recorded + 180);
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
  }, 120_000);

  it('opens the sweep view: a scatter per varied param, best trial marked, click shows its curves', async () => {
    await page.click('.tabs a[data-tab="sweeps"]');
    // The list shows each sweep's best value and what it varies.
    const row = `tr[data-sweep-id="${ids.sweep}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} .sweep-best`)).toBe(`0.9500 (#${ids.trials[2]})`);
    expect(await page.textContent(`${row} .sweep-varied`)).toBe(
      'data.batchSize, train.optimizer.learningRate',
    );
    await page.click(row);
    await page.waitForSelector('.sweep-plot');
    const params = await page.$$eval('.sweep-plot', (els) =>
      els.map((e) => (e as HTMLElement).dataset['param']),
    );
    expect(params.sort()).toEqual(['data.batchSize', 'train.optimizer.learningRate']);
    expect(
      await page.$$eval('.sweep-plot[data-param="data.batchSize"] .sweep-dot', (els) => els.length),
    ).toBe(7);
    const best = ids.trials[2]!;
    expect(
      await page.$$eval('.sweep-plot .sweep-dot.best', (els) =>
        els.map((e) => e.getAttribute('data-run-id')),
      ),
    ).toEqual([String(best), String(best)]);
    expect(await page.getAttribute('#sweep-trials tbody tr:first-child', 'data-run-id')).toBe(
      String(best),
    );
    // Trials are numbered from 1, as the CLI numbers them: the best is the third (trial_index 2).
    expect(await page.textContent('#sweep-trials tbody tr:first-child td:first-child')).toBe('3');
    // Parallel coordinates: an axis per varied value and one for the metric, a line per trial.
    expect(await page.getAttribute('.sweep-pc svg', 'data-axes')).toBe('3');
    expect(await page.$$eval('.sweep-pc .pc-line', (els) => els.length)).toBe(7);
    expect(await page.getAttribute('.sweep-pc svg', 'data-kept')).toBe('7');
    // Brushing the top of the metric axis keeps only the trials up there (0.95 and 0.93).
    const axis = page.locator('.sweep-pc .pc-brush-area[data-axis="test/accuracy"]');
    await axis.waitFor();
    const box = (await axis.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 1);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.12, { steps: 4 });
    await page.mouse.up();
    expect(await page.getAttribute('.sweep-pc svg', 'data-kept')).toBe('2');
    expect(
      await page.$$eval('.sweep-pc .pc-line:not(.dimmed)', (els) =>
        els.map((e) => e.getAttribute('data-run-id')).sort(),
      ),
    ).toEqual([String(ids.trials[2]), String(ids.trials[3])].sort());
    // A click on the axis clears its range.
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(await page.getAttribute('.sweep-pc svg', 'data-kept')).toBe('7');
    // Best so far over trial order: 0.81, 0.79, 0.95, ... and the pruned trial's 0.3.
    expect(JSON.parse((await page.getAttribute('.sweep-bsf .bsf-line', 'data-values'))!)).toEqual([
      0.81, 0.81, 0.95, 0.95, 0.95, 0.95, 0.95,
    ]);
    // Intermediate values: a line per trial, the pruned one marked where it stopped.
    expect(await page.$$eval('.sweep-iv .iv-trial', (els) => els.length)).toBe(7);
    expect(
      await page.$$eval('.sweep-iv .iv-trial.pruned', (els) =>
        els.map((e) => [e.getAttribute('data-run-id'), e.querySelector('.iv-pruned')?.textContent]),
      ),
    ).toEqual([[String(ids.pruned), '×']]);
    // Importance of the two varied values, and the pending trial listed.
    expect(
      (
        await page.$$eval('.sweep-importance .importance-row', (els) =>
          els.map((e) => (e as HTMLElement).dataset['key']),
        )
      ).sort(),
    ).toEqual(['data.batchSize', 'train.optimizer.learningRate']);
    expect(await page.textContent('.sweep-importance')).toContain('PED-ANOVA');
    expect(
      await page.$$eval('#sweep-trials tr.pending-row', (els) =>
        els.map((e) => (e as HTMLElement).dataset['trial']),
      ),
    ).toEqual(['8']);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-sweep.png'), fullPage: true });
    await page.click(
      `.sweep-plot[data-param="train.optimizer.learningRate"] .sweep-dot.best circle:not(.sweep-halo)`,
    );
    await expect.poll(() => legendLabels(page, 'train/loss')).toEqual([`#${best} lr-batch-grid-2`]);
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('shows a run page with its config and facts, compares runs, and 404s an unknown run', async () => {
    await page.click(`.run-item[data-run-id="${ids.small}"] a.run-name`);
    await page.waitForSelector('pre.yaml');
    expect(await page.textContent('pre.yaml')).toContain('learningRate: 0.003');
    const facts = await page.textContent('dl.facts');
    expect(facts).toContain('generated in memory');
    expect(facts).toContain(`node ${process.versions.node}`);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-run.png'), fullPage: true });

    await page.goto(`${training.url}compare?runs=${ids.small},${ids.trials[0]}`);
    await page.waitForSelector('#compare-params');
    const diff = await page.textContent('#compare-params');
    expect(diff).toContain('train.optimizer.learningRate');
    expect(diff).toContain('0.003');
    expect(diff).toContain('0.01');

    const response = await page.goto(`${training.url}runs/987654`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Not found');
    expect(pageErrors.filter((e) => !e.includes('404'))).toEqual([]);
  });

  it('stops the training process and its dashboard cleanly on Ctrl-C once training is done', async () => {
    expect(await training.stop()).toBe(0);
    await expect(page.goto(training.url)).rejects.toThrow(/ERR_CONNECTION_REFUSED/);
  });
});
