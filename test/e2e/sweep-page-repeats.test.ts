/**
 * The sweep page of a sweep with repeats, in a real Chromium (Debian's, driven by
 * playwright-core): each configuration's mean and standard deviation over its seeds with the
 * best mean marked, and the rung a pruned trial stopped at as a column of the trials table.
 */
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from './browser-kit.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import type { Store } from '../../src/store/index.js';
import { makeStore, makeTempDir, newRun, recordRun } from '../test-kit.js';

const skip = skipWithoutChromium('sweep-page-repeats');

const LR = 'train.optimizer.learningRate';

describe.skipIf(skip)('sweep page with repeats, in Chromium', () => {
  const temp = makeTempDir('sweep-page-repeats');
  let store: Store;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  let sweepId = 0;
  let prunedRun = 0;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const made = await makeStore(temp.dir);
    store = made.store;
    // Three configurations x 2 seeds; configuration 3's first seed was pruned, its second pending.
    const rates = [0.01, 0.001, 0.1];
    const trials = rates.flatMap((lr, configuration) =>
      [0, 1].map((repeat) => ({
        index: configuration * 2 + repeat,
        configuration,
        repeat,
        assignments: { [LR]: lr },
        overrides: [`${LR}=${lr}`, `seed=${1 + repeat}`],
      })),
    );
    sweepId = await store.createSweep({
      name: 'lr-repeats',
      configYaml: 'name: lr-repeats\n',
      definition: {
        file: 'lr.yaml',
        overrides: [],
        axes: [],
        seed: 1,
        sweep: {
          sampler: 'grid',
          grid: { [LR]: rates },
          repeats: 2,
          metric: 'test/accuracy',
          goal: 'maximize',
        },
        trials,
      },
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 6,
      host: 'test-host',
    });
    const finals = [0.8, 0.9, 0.6, 0.7];
    for (const [index, finalAccuracy] of finals.entries())
      await recordRun(store, {
        name: `lr-repeats lr=${rates[Math.floor(index / 2)]} seed=${1 + (index % 2)}`,
        steps: 9,
        learningRate: rates[Math.floor(index / 2)]!,
        sweepId,
        trialIndex: index,
        finalAccuracy,
      });
    prunedRun = await store.createRun(
      newRun({ name: 'lr-repeats lr=0.1 seed=1', sweepId, trialIndex: 4, learningRate: 0.1 }),
    );
    const writer = await store.createMetricWriter(prunedRun);
    writer.add('test/accuracy', 3, 1, 0.2);
    await writer.close();
    await store.setRunFacts(prunedRun, {
      notices: [
        'pruned at rung 0 (epoch 1): test/accuracy 0.2 is not among the best 1 of 5 trials there (needs 0.6)',
      ],
    });
    await store.finishRun(prunedRun, { status: 'pruned' });
    dashboard = await startDashboard({ dbPath: made.path, port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    store?.close();
    temp.remove();
  });

  it('shows each configuration with mean and std over its seeds, the best mean marked, and the rung', async () => {
    await page.goto(`http://127.0.0.1:${dashboard.port}/sweeps/${sweepId}`);
    await page.waitForSelector('#sweep-configurations tbody tr');
    const rows = await page.$$eval('#sweep-configurations tbody tr', (trs) =>
      trs.map((tr) => ({
        configuration: (tr as HTMLElement).dataset['configuration'],
        best: tr.classList.contains('best-row'),
        cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? ''),
        mean: tr.querySelector('.config-mean')?.textContent,
        std: tr.querySelector('.config-std')?.textContent,
      })),
    );
    const std = (a: number, b: number) => (Math.abs(a - b) / Math.SQRT2).toFixed(4);
    expect(rows.map((r) => [r.configuration, r.mean, r.std, r.best])).toEqual([
      ['1', '0.8500', std(0.8, 0.9), true],
      ['2', '0.6500', std(0.6, 0.7), false],
      ['3', '—', '—', false],
    ]);
    // The varied value, the seeds that count, and the trials of each configuration.
    expect(rows[0]!.cells.slice(1, 3)).toEqual(['0.01', '2/2']);
    expect(rows[2]!.cells.slice(1, 3)).toEqual(['0.1', '0/2']);
    expect(rows.map((r) => r.cells.at(-1))).toEqual(['1, 2', '3, 4', '5, 6']);
    // The trials table has the rung as a column: only the pruned trial has one.
    const headers = await page.$$eval('#sweep-trials thead th', (ths) =>
      ths.map((th) => th.textContent),
    );
    expect(headers.at(-1)).toBe('rung');
    const rungs = await page.$$eval('#sweep-trials tbody tr[data-run-id]', (trs) =>
      trs.map((tr) => [
        (tr as HTMLElement).dataset['runId'],
        tr.querySelector('.rung')?.textContent,
      ]),
    );
    expect(rungs).toHaveLength(5);
    for (const [run, rung] of rungs)
      expect(rung, `run ${run}`).toBe(Number(run) === prunedRun ? '0 (epoch 1)' : '');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
