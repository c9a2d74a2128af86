import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('recipe');
afterAll(() => ws.remove());

/** 256 examples at batch 32: 8 steps an epoch, 24 in 3 epochs. */
async function train(
  name: string,
  extra: string,
  options: { epochs?: number; learningRate?: number } = {},
) {
  const file = ws.write(
    `${name}.yaml`,
    syntheticConfig({
      name,
      epochs: options.epochs ?? 3,
      learningRate: options.learningRate ?? 0.01,
      extra,
    }),
  );
  const result = await runCli(['exp', file, '--db', ws.db, '--json'], ws.dir);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return {
    ...result,
    json: result.code === 0 ? (JSON.parse(result.stdout) as Record<string, unknown>) : {},
  };
}

function curve(runId: number, key: string): number[] {
  return readStore(ws.db, (sql) =>
    (
      sql
        .prepare('select value from metrics where run_id = ? and key = ? order by step')
        .all(runId, key) as {
        value: number;
      }[]
    ).map((r) => r.value),
  );
}

describe('train.schedule through the CLI: train/learning_rate at every step equals the formula', () => {
  const cases: [string, string, (step: number) => number][] = [
    [
      'step',
      '  schedule: {type: step, stepEpochs: 1, gamma: 0.5}',
      (s) => 0.01 * 0.5 ** Math.floor((s - 1) / 8),
    ],
    [
      'exponential',
      '  schedule: {type: exponential, gamma: 0.9}',
      (s) => 0.01 * 0.9 ** Math.floor((s - 1) / 8),
    ],
    [
      'cosine',
      '  schedule: {type: cosine, warmupSteps: 4, minLearningRate: 0.001}',
      // by hand: steps 1-4 warm up from 0.01/3 by 0.01/6; step 15 is half way through the 20 cosine steps.
      (s) =>
        s <= 4
          ? 0.01 / 3 + ((s - 1) * 0.01) / 6
          : 0.001 + 0.0045 * (1 + Math.cos((Math.PI * (s - 5)) / 20)),
    ],
    [
      'oneCycle',
      '  schedule: {type: oneCycle, maxLearningRate: 0.1, pctStart: 0.25}',
      (s) => {
        const t = s - 1;
        const cos = (a: number, b: number, pct: number): number =>
          b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
        return t <= 5 ? cos(0.004, 0.1, t / 5) : cos(0.1, 4e-7, (t - 5) / 18);
      },
    ],
    [
      'reduceOnPlateau',
      // threshold 2 (relative) can never be beaten: bad epochs 1, 2 > patience 1 -> x0.1 after epoch 2.
      '  schedule: {type: reduceOnPlateau, metric: test/loss, patience: 1, threshold: 2}',
      (s) => (s <= 16 ? 0.01 : 0.001),
    ],
  ];
  it.each(cases)('%s', async (name, extra, formula) => {
    const { code, json } = await train(`schedule-${name}`, extra);
    expect(code).toBe(0);
    const recorded = curve(json['runId'] as number, 'train/learning_rate');
    expect(recorded).toHaveLength(24);
    recorded.forEach((lr, i) => expect(lr).toBeCloseTo(formula(i + 1), 7));
  });

  it('oneCycle cycles momentum the other way, recorded as train/momentum at every step', async () => {
    const cycled = await train(
      'one-cycle-momentum',
      '  schedule: {type: oneCycle, maxLearningRate: 0.1, pctStart: 0.25}',
    );
    expect(cycled.code).toBe(0);
    const cos = (a: number, b: number, pct: number): number =>
      b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
    const momenta = curve(cycled.json['runId'] as number, 'train/momentum');
    expect(momenta).toHaveLength(24);
    momenta.forEach((m, i) =>
      expect(m).toBeCloseTo(i <= 5 ? cos(0.95, 0.85, i / 5) : cos(0.85, 0.95, (i - 5) / 18), 7),
    );
    const still = await train(
      'one-cycle-still',
      '  schedule: {type: oneCycle, maxLearningRate: 0.1, pctStart: 0.25, cycleMomentum: false}',
    );
    expect(still.code).toBe(0);
    expect(curve(still.json['runId'] as number, 'train/momentum')).toEqual([]);
    // beta1 moved: the same rates with adam's own 0.9 train otherwise.
    const lossesOf = (r: typeof still) => curve(r.json['runId'] as number, 'train/loss');
    expect(lossesOf(cycled).slice(1)).not.toEqual(lossesOf(still).slice(1));
  });

  it('checks a cosine warmup against the run length, at its key', async () => {
    const { code, stderr } = await train(
      'warmup-long',
      '  schedule: {type: cosine, warmupSteps: 30}',
    );
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(
      /^warmup-long\.yaml:\d+:\d+ error warmup-too-long: train\.schedule\.warmupSteps: a warmup of 30 steps is not shorter than the run \(24 steps/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('train.earlyStopping', () => {
  it('ends the run completed at the epoch patience runs out, and records why', async () => {
    // At lr 1e-30 the weights never change, so test/loss never improves after epoch 1.
    const { code, json } = await train(
      'early-stop',
      '  earlyStopping: {metric: test/loss, patience: 2}',
      { epochs: 10, learningRate: 1e-30 },
    );
    expect(code).toBe(0);
    expect(json['status']).toBe('completed');
    expect(json['epochs']).toBe(3);
    expect(json['stopReason']).toMatch(
      /^early stop at epoch 3: test\/loss did not improve for 2 epochs/,
    );
    const run = readStore(
      ws.db,
      (sql) =>
        sql.prepare('select status, notices from runs where id = ?').get(json['runId']) as {
          status: string;
          notices: string;
        },
    );
    expect(run.status).toBe('completed');
    expect(JSON.parse(run.notices)).toContainEqual(expect.stringMatching(/^early stop at epoch 3/));
    expect(curve(json['runId'] as number, 'test/loss')).toHaveLength(3);
  });

  it("with restoreBest saves the best epoch's model, not the last one's", async () => {
    // minDelta 1 on test/loss: only epoch 1 counts as an improvement; the run stops at epoch 3.
    const best = await train(
      'restore',
      '  earlyStopping: {metric: test/loss, patience: 2, minDelta: 1, restoreBest: true}',
      {
        epochs: 10,
      },
    );
    const last = await train(
      'no-restore',
      '  earlyStopping: {metric: test/loss, patience: 2, minDelta: 1}',
      {
        epochs: 10,
      },
    );
    const oneEpoch = await train('one-epoch', '', { epochs: 1 });
    expect(best.json['epochs']).toBe(3);
    const weights = (r: { json: Record<string, unknown> }): Buffer =>
      readFileSync(path.join(r.json['runDir'] as string, 'model', 'weights.bin'));
    expect(weights(best).equals(weights(oneEpoch))).toBe(true);
    expect(weights(last).equals(weights(oneEpoch))).toBe(false);
  });

  it('refuses a metric the run never records, at its line', async () => {
    const { code, stderr } = await train(
      'unrecorded',
      '  earlyStopping: {metric: val/loss, patience: 3}',
    );
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(
      /^unrecorded\.yaml:\d+:\d+ error unrecorded-metric: train\.earlyStopping\.metric: "val\/loss" is never recorded: this run evaluates on the test set/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('train.earlyStopping on a regression metric', () => {
  /** A 40-row table, y = 2 a - b: a regression loss records test/rmse and test/mae. */
  function regression(name: string, extra: string, loss = 'mse'): string {
    const rows = Array.from({ length: 40 }, (_, i) => `${i % 7},${i % 5},${2 * (i % 7) - (i % 5)}`);
    ws.write(`${name}.csv`, ['a,b,y', ...rows].join('\n') + '\n');
    return ws.write(
      `${name}.yaml`,
      `name: ${name}
seed: 3
data:
  dataset: csv
  batchSize: 8
  train: {file: ${name}.csv}
  test: {file: ${name}.csv}
  target: y
model:
  layers:
    - dense: {units: 1}
train:
  loss: ${loss}
  epochs: 10
  optimizer: {type: sgd, learningRate: 1.0e-30}
${extra}
`,
    );
  }

  it.each(['test/rmse', 'test/mae'])(
    'stops on %s when it does not improve, and records why',
    async (metric) => {
      const name = `stop-${metric.slice(5)}`;
      const file = regression(name, `  earlyStopping: {metric: ${metric}, patience: 2}`);
      const { code, stdout, stderr } = await runCli(['exp', file, '--db', ws.db, '--json'], ws.dir);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const json = JSON.parse(stdout) as Record<string, unknown>;
      expect(json['status']).toBe('completed');
      expect(json['epochs']).toBe(3);
      expect(json['stopReason']).toMatch(
        new RegExp(`^early stop at epoch 3: ${metric} did not improve for 2 epochs`),
      );
      expect(curve(json['runId'] as number, metric)).toHaveLength(3);
    },
  );

  it.each([
    ['test/accuracy', 'mse', /train\.loss mse is a regression loss, which records loss, rmse, mae/],
    ['test/rmse', 'crossEntropy', /train\.loss crossEntropy records loss and accuracy/],
  ])('refuses %s where the loss never records it (%s), at its line', async (metric, loss, why) => {
    const file = regression('wrong-measure', `  earlyStopping: {metric: ${metric}}`, loss);
    const { code, stderr } = await runCli(['validate', file], ws.dir);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^wrong-measure\\.yaml:\\d+:\\d+ error unrecorded-metric: train\\.earlyStopping\\.metric: "${metric}" is never recorded: `,
      ),
    );
    expect(lines[0]).toMatch(why);
  });
});

describe('adamw through the CLI', () => {
  /** One weight w (dense, 1 unit, no bias) fitting y from x, one row a step, in file order. */
  function fit(name: string, optimizer: string): string {
    ws.write(`${name}.csv`, 'x,y\n1,100\n2,-40\n');
    return ws.write(
      `${name}.yaml`,
      `name: ${name}
seed: 5
data:
  dataset: csv
  batchSize: 1
  shuffle: false
  standardize: false
  train: {file: ${name}.csv}
  test: {file: ${name}.csv}
  target: y
model:
  layers:
    - dense: {units: 1, useBias: false}
train:
  loss: mse
  epochs: 1
  optimizer: ${optimizer}
`,
    );
  }
  async function weightAfter(name: string, optimizer: string): Promise<number> {
    const r = await runCli(['exp', fit(name, optimizer), '--db', ws.db, '--json'], ws.dir);
    expect(r.stderr).toBe('');
    const runDir = (JSON.parse(r.stdout) as { runDir: string }).runDir;
    return readFileSync(path.join(runDir, 'model', 'weights.bin')).readFloatLE(0);
  }

  it('takes the two steps worked out by hand from the initial weight', async () => {
    // lr 1e-30 leaves the seeded initial weight as it is (in float32): that is w0.
    const w0 = await weightAfter('adamw-w0', '{type: sgd, learningRate: 1.0e-30}');
    const w = await weightAfter('adamw-two', '{type: adamw, learningRate: 0.1, weightDecay: 0.5}');
    // torch.optim.AdamW, betas (0.9, 0.999), eps 1e-8; mse gradient of (w x - y)^2 is 2 x (w x - y).
    let p = w0;
    let m = 0;
    let v = 0;
    for (const [t, [x, y]] of [
      [1, [1, 100]],
      [2, [2, -40]],
    ] as const) {
      const g = 2 * x * (p * x - y);
      p *= 1 - 0.1 * 0.5;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      const mHat = m / (1 - 0.9 ** t);
      const vHat = v / (1 - 0.999 ** t);
      p -= (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
    }
    expect(w).toBeCloseTo(p, 5);
    // Not plain Adam: without the decoupled decay the weight ends elsewhere.
    const adam = await weightAfter('adam-two', '{type: adam, learningRate: 0.1}');
    expect(Math.abs(adam - p)).toBeGreaterThan(1e-3);
  });
});

describe('data.augment', () => {
  it('changes training batches only: same test loss, other training losses, same again with the same seed', async () => {
    // At lr 1e-30 the weights stay put: only the inputs can change a loss.
    const augment = `  augment: {shift: 2, flip: true, rotate: 10, noise: 0.05}\n`;
    const plainFile = ws.write(
      'aug-plain.yaml',
      syntheticConfig({ name: 'aug-plain', epochs: 1, learningRate: 1e-30 }),
    );
    const augText = syntheticConfig({ name: 'aug', epochs: 1, learningRate: 1e-30 }).replace(
      '  synthetic:',
      `${augment}  synthetic:`,
    );
    const augFile = ws.write('aug.yaml', augText);
    const ids: number[] = [];
    for (const file of [plainFile, augFile, augFile]) {
      const r = await runCli(['exp', file, '--db', ws.db, '--json'], ws.dir);
      expect(r.code).toBe(0);
      ids.push((JSON.parse(r.stdout) as { runId: number }).runId);
    }
    const [plain, aug, again] = ids as [number, number, number];
    expect(curve(aug, 'test/loss')).toEqual(curve(plain, 'test/loss'));
    expect(curve(aug, 'train/loss')).not.toEqual(curve(plain, 'train/loss'));
    expect(curve(again, 'train/loss')).toEqual(curve(aug, 'train/loss'));
  });
});

describe('optimizer options', () => {
  it('refuses momentum on adam, at its key', async () => {
    const file = ws.write(
      'momentum-adam.yaml',
      syntheticConfig({ name: 'momentum-adam' }).replace(
        'learningRate: 0.01}',
        'learningRate: 0.01, momentum: 0.9}',
      ),
    );
    const { code, stderr } = await runCli(['exp', file, '--db', ws.db], ws.dir);
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(
      /^momentum-adam\.yaml:\d+:\d+ error optimizer-option: train\.optimizer\.momentum: "momentum" is not an option of adam/,
    );
  });

  it('refuses label smoothing with a regression loss, at its key, instead of ignoring it', async () => {
    const file = ws.write('smooth-mse.yaml', syntheticConfig({ name: 'smooth-mse' }));
    const { code, stderr } = await runCli(
      ['validate', file, '--set', 'train.loss=mse', '--set', 'train.labelSmoothing=0.1'],
      ws.dir,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /error option-conflict: (--set )?train\.labelSmoothing: label smoothing applies to crossEntropy only; train\.loss is mse/,
    );
  });
});
