/**
 * The curves view's charts in a real Chromium (Debian's, driven by playwright-core): one x range
 * across a view's charts, the hover legend's nearest point, train and test on one chart,
 * collapsible groups, constant charts folded away, the dark theme; the run list's tags, tag filter
 * and varied params, and the run page's note editor. Runs are written straight
 * into a store with the steps each check needs; screenshots land in test-output/ (the ones in
 * docs/ are copies of them).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium } from './browser-kit.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import type { Store } from '../../src/store/index.js';
import { makeStore, makeTempDir, newRun, type RunFixtureOptions } from '../test-kit.js';

const OUTPUT = join(process.cwd(), 'test-output');
const skip = skipWithoutChromium('dashboard charts');

type Points = readonly (readonly [step: number, value: number])[];

/** Records a finished run with exactly these points per metric key (epoch: 20 steps each). */
async function writeRun(
  store: Store,
  options: RunFixtureOptions & { readonly name: string },
  curves: Readonly<Record<string, Points>>,
): Promise<number> {
  const runId = await store.createRun(newRun(options));
  const writer = await store.createMetricWriter(runId, { flushIntervalMs: 60_000 });
  const t0 = Date.now();
  for (const [key, points] of Object.entries(curves)) {
    for (const [step, value] of points)
      writer.add(key, step, Math.ceil(step / 20), value, t0 + step);
  }
  await writer.close();
  await store.finishRun(runId, { status: 'completed' });
  return runId;
}

const range = (from: number, to: number, by = 1): number[] =>
  Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, i) => from + i * by);
const decay = (steps: readonly number[], scale: number): Points =>
  steps.map((s) => [s, scale * Math.exp(-s / 30) + 0.01 * (s % 3)] as const);

/** The legend rows of a chart (the x row first), without the smoothed runs' raw rows. */
async function legendRows(page: Page, key: string): Promise<{ label: string; value: string }[]> {
  return page.$$eval(`.chart-card[data-key="${key}"] .u-legend .u-series:not(.raw)`, (rows) =>
    rows.map((row) => ({
      label: row.querySelector('.u-label')?.textContent ?? '',
      value: row.querySelector('.u-value')?.textContent ?? '',
    })),
  );
}

describe.skipIf(skip)('dashboard charts in Chromium', () => {
  const temp = makeTempDir('dashboard-charts');
  let store: Store;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  let url: string;
  const pageErrors: string[] = [];
  const ids = { dense: 0, sparse: 0, other: 0 };

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const made = await makeStore(temp.dir);
    store = made.store;
    // Train loss at every step to 40, tested at each epoch end; a fixed learning rate.
    ids.dense = await writeRun(
      store,
      { name: 'every-step', batchSize: 128 },
      {
        'train/loss': decay(range(1, 40), 2.3),
        'test/loss': decay([20, 40], 2.4),
        'train/accuracy': range(1, 40).map((s) => [s, 0.1 + s / 50] as const),
        'test/accuracy': [20, 40].map((s) => [s, 0.1 + s / 55] as const),
        'train/learning_rate': range(1, 40).map((s) => [s, 0.001] as const),
      },
    );
    // Logged at even steps only, and for twice as long: its test loss reaches step 80.
    ids.sparse = await writeRun(
      store,
      { name: 'even-steps', batchSize: 64, learningRate: 0.01 },
      {
        'train/loss': decay(range(2, 80, 2), 2.1),
        'test/loss': decay([20, 40, 60, 80], 2.2),
        'train/learning_rate': range(2, 80, 2).map((s) => [s, 0.01] as const),
      },
    );
    ids.other = await writeRun(
      store,
      { name: 'untagged', batchSize: 32 },
      {
        'train/loss': decay(range(1, 10), 2),
      },
    );
    await store.tagRun(ids.dense, ['baseline', 'lenet']);
    await store.tagRun(ids.sparse, ['baseline']);
    dashboard = await startDashboard({ dbPath: made.path, port: 0 });
    url = `http://127.0.0.1:${dashboard.port}/`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${url}?runs=${ids.dense},${ids.sparse}`);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await page.waitForFunction(
      () =>
        Number(
          document.querySelector('.chart-card[data-key="test/loss"]')?.getAttribute('data-points'),
        ) > 0,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await store?.close();
    temp.remove();
  });

  it('draws every chart of the view over one x range, so the cursor sits at one step on all', async () => {
    await page.waitForSelector('.chart-card[data-key="train/accuracy"][data-x-range]');
    const ranges = await page.$$eval('.chart-card:not([hidden])[data-x-range]', (cards) =>
      cards.map((c) => [c.getAttribute('data-key'), c.getAttribute('data-x-range')]),
    );
    // train/loss, test/loss, train/accuracy (to step 40 only) and test/accuracy (two points).
    expect(ranges.map(([key]) => key).sort()).toEqual([
      'test/accuracy',
      'test/loss',
      'train/accuracy',
      'train/loss',
    ]);
    for (const [, range] of ranges) expect(range).toBe('1,80');
  });

  it("shows each run's nearest point in the hover legend, not a dash where it has none", async () => {
    await page.fill('#smoothing', '0');
    await page.dispatchEvent('#smoothing', 'input');
    // Unsmoothed, the chart is drawn anew (no raw series): hover the new one.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.chart-card[data-key="train/loss"] .u-legend .u-series.raw')
          .length === 0,
    );
    // A locator, not an element handle: a redraw in between replaces the element.
    const over = page.locator('.chart-card[data-key="train/loss"] .u-over');
    await over.waitFor();
    const box = (await over.boundingBox())!;
    // Step 15 of the 1..80 axis: the dense run has a point there, the even-steps run does not.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + ((15 - 1) / (80 - 1)) * box.width, box.y + box.height / 2, {
      steps: 4,
    });
    await expect.poll(async () => (await legendRows(page, 'train/loss'))[0]?.value).toBe('15');
    const rows = await legendRows(page, 'train/loss');
    const dense = rows.find((r) => r.label === `#${ids.dense} every-step`)!;
    const sparse = rows.find((r) => r.label === `#${ids.sparse} even-steps`)!;
    expect(dense.value).toMatch(/^\d\.\d{4}$/);
    expect(sparse.value).toMatch(/^\d\.\d{4} \(at step 1[46]\)$/);
    // The test loss chart's cursor (synced by x) snaps to its nearest evaluation, step 20.
    const test = await legendRows(page, 'test/loss');
    expect(test.map((r) => r.value)).toEqual([
      '20',
      expect.stringMatching(/^\d\.\d{4}$/),
      expect.stringMatching(/^\d\.\d{4}$/),
    ]);
  });

  it('folds a chart whose every curve is one constant into a line under its group', async () => {
    expect(await page.isHidden('.chart-card[data-key="train/learning_rate"]')).toBe(true);
    const folded = await page.textContent(
      '.chart-group[data-group="train"] .constant-item[data-key="train/learning_rate"]',
    );
    expect(folded).toBe('train/learning_rate 0.0010 0.0100');
    expect(await page.isVisible('.chart-card[data-key="train/loss"]')).toBe(true);
  });

  it('puts train and test of one metric on one chart with the toggle, and back', async () => {
    await page.check('#combine-splits');
    await page.waitForSelector('.chart-card[data-key="splits/loss"] .u-legend');
    const labels = (await legendRows(page, 'splits/loss')).slice(1).map((r) => r.label);
    expect(labels).toEqual([
      `#${ids.dense} every-step · train/loss`,
      `#${ids.sparse} even-steps · train/loss`,
      `#${ids.dense} every-step · test/loss`,
      `#${ids.sparse} even-steps · test/loss`,
    ]);
    expect(await page.$('.chart-card[data-key="train/loss"]')).toBeNull();
    expect(await page.getAttribute('.chart-card[data-key="splits/loss"]', 'data-points')).toBe(
      String(40 + 40 + 2 + 4),
    );
    await page.mouse.move(0, 0);
    const card = (await page.$('.chart-card[data-key="splits/loss"]'))!;
    await card.screenshot({ path: join(OUTPUT, 'dashboard-train-test-loss.png') });
    // Kept across reloads, like the other controls.
    await page.reload();
    await page.waitForSelector('.chart-card[data-key="splits/accuracy"]');
    await page.uncheck('#combine-splits');
    await page.waitForSelector('.chart-card[data-key="train/loss"]');
    expect(await page.$('.chart-card[data-key="splits/loss"]')).toBeNull();
  });

  it('collapses a group of charts and keeps it collapsed across reloads', async () => {
    const head = '.chart-group[data-group="test"] .chart-group-head';
    expect(await page.getAttribute(head, 'aria-expanded')).toBe('true');
    await page.click(head);
    expect(await page.getAttribute(head, 'aria-expanded')).toBe('false');
    expect(await page.isHidden('.chart-card[data-key="test/loss"]')).toBe(true);
    await page.reload();
    await page.waitForSelector(head);
    expect(await page.getAttribute(head, 'aria-expanded')).toBe('false');
    expect(await page.isHidden('.chart-card[data-key="test/loss"]')).toBe(true);
    await page.click(head);
    await page.waitForFunction(
      () =>
        Number(
          document.querySelector('.chart-card[data-key="test/loss"]')?.getAttribute('data-points'),
        ) === 6,
    );
    expect(await page.isVisible('.chart-card[data-key="test/loss"]')).toBe(true);
  });

  it("shows each run's tags and the config values that tell it apart; filters by tag", async () => {
    const item = (id: number) => `.run-item[data-run-id="${id}"]`;
    expect(
      await page.$$eval(`${item(ids.dense)} .run-tags .tag`, (els) =>
        els.map((e) => e.textContent),
      ),
    ).toEqual(['baseline', 'lenet']);
    expect(await page.$$eval(`${item(ids.other)} .run-tags .tag`, (els) => els.length)).toBe(0);
    // The three runs differ in batch size, two of them in learning rate (the list's varied keys).
    const params = (id: number) =>
      page.$$eval(`${item(id)} .run-param`, (els) => els.map((e) => e.textContent));
    expect(await params(ids.dense)).toEqual(['batchSize=128', 'learningRate=0.001']);
    expect(await params(ids.sparse)).toEqual(['batchSize=64', 'learningRate=0.01']);
    expect(await page.$$eval('#filter-tag option', (els) => els.map((e) => e.textContent))).toEqual(
      ['All tags', 'baseline (2)', 'lenet (1)'],
    );
    await page.screenshot({
      path: join(OUTPUT, 'dashboard-run-list-tags.png'),
      clip: { x: 0, y: 0, width: 760, height: 520 },
    });
    await page.selectOption('#filter-tag', 'baseline');
    await expect
      .poll(() =>
        page.$$eval('.run-item', (els) => els.map((e) => Number(e.getAttribute('data-run-id')))),
      )
      .toEqual([ids.sparse, ids.dense]);
    // A tag chip filters too.
    await page.click(`${item(ids.dense)} .run-tags .tag:has-text("lenet")`);
    await expect
      .poll(() =>
        page.$$eval('.run-item', (els) => els.map((e) => Number(e.getAttribute('data-run-id')))),
      )
      .toEqual([ids.dense]);
    expect(await page.inputValue('#filter-tag')).toBe('lenet');
    await page.selectOption('#filter-tag', '');
    await expect.poll(() => page.$$eval('.run-item', (els) => els.length)).toBe(3);
  });

  it("edits a run's note and tags on its page, saved in the store", async () => {
    await page.click(`.run-item[data-run-id="${ids.sparse}"] a.run-name`);
    await page.waitForSelector('#note-input');
    // The learning rate is a setting recorded as a metric: no goal arrow, no best.
    expect(await page.$('tr[data-key="train/learning_rate"] .goal')).toBeNull();
    expect(await page.textContent('tr[data-key="train/learning_rate"] td:nth-child(3)')).toBe('—');
    expect(await page.textContent('tr[data-key="train/loss"] .goal')).toBe(' ↓');
    expect(await page.isDisabled('#note-save')).toBe(true);
    await page.fill('#note-input', 'lr 0.01 diverges late; try warmup');
    await page.click('#note-save');
    await expect
      .poll(async () => (await store.getRun(ids.sparse))?.note)
      .toBe('lr 0.01 diverges late; try warmup');
    await page.fill('#tag-input', 'warmup-next');
    await page.press('#tag-input', 'Enter');
    await expect
      .poll(async () => (await store.getRun(ids.sparse))?.tags)
      .toEqual(['baseline', 'warmup-next']);
    await page.click('#run-tags .tag[data-tag="baseline"] .tag-x');
    await expect.poll(async () => (await store.getRun(ids.sparse))?.tags).toEqual(['warmup-next']);
    // The list follows; a reload shows what the store holds.
    await expect
      .poll(() =>
        page.$$eval(`.run-item[data-run-id="${ids.sparse}"] .run-tags .tag`, (els) =>
          els.map((e) => e.textContent),
        ),
      )
      .toEqual(['warmup-next']);
    await page.reload();
    await page.waitForSelector('#note-input');
    expect(await page.inputValue('#note-input')).toBe('lr 0.01 diverges late; try warmup');
    // A bad tag gets the store's one line, and nothing changes.
    await page.fill('#tag-input', 'x'.repeat(80));
    await page.press('#tag-input', 'Enter');
    await expect.poll(() => page.textContent('.labels-status')).toMatch(/tag/);
    expect((await store.getRun(ids.sparse))?.tags).toEqual(['warmup-next']);
    await page.goto(`${url}?runs=${ids.dense},${ids.sparse}`);
  });

  it('follows a dark colour scheme (prefers-color-scheme), charts included', async () => {
    const dark = await browser.newPage({
      viewport: { width: 1440, height: 900 },
      colorScheme: 'dark',
    });
    dark.on('pageerror', (error) => pageErrors.push(error.message));
    await dark.goto(`${url}?runs=${ids.dense},${ids.sparse}`);
    await dark.waitForFunction(
      () =>
        Number(
          document.querySelector('.chart-card[data-key="train/loss"]')?.getAttribute('data-points'),
        ) > 0,
    );
    const luminance = (rgb: string): number => {
      const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
      return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
    };
    const colours = await dark.evaluate(() => ({
      body: getComputedStyle(document.documentElement).backgroundColor,
      card: getComputedStyle(document.querySelector('.chart-card')!).backgroundColor,
      text: getComputedStyle(document.querySelector('.chart-head h3')!).color,
      axis: getComputedStyle(document.documentElement).getPropertyValue('--chart-axis').trim(),
    }));
    expect(luminance(colours.body)).toBeLessThan(0.15);
    expect(luminance(colours.card)).toBeLessThan(0.2);
    expect(luminance(colours.text)).toBeGreaterThan(0.6);
    expect(colours.axis).toBe('#94a3b8');
    // The light page's colours are not the dark one's.
    expect(
      luminance(
        await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor),
      ),
    ).toBeGreaterThan(0.9);
    await dark.screenshot({ path: join(OUTPUT, 'dashboard-dark.png') });
    await dark.close();
    expect(pageErrors).toEqual([]);
  });
});
