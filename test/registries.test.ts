import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import * as tf from '../src/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, BACKENDS } from '../src/backend/index.js';
import {
  buildExperimentSchema,
  EXPERIMENT_SCHEMA_URL,
  loadExperiment,
  type DatasetConfigEntry,
  type OptimizerConfigEntry,
} from '../src/config/index.js';
import { DATASETS } from '../src/data/index.js';
import { quietTf } from '../src/model/index.js';
import { REGISTRIES } from '../src/registries.js';
import { createOptimizer, OPTIMIZERS } from '../src/train/index.js';
import { diagnosticsOf, MINIMAL } from './config/config-test-kit.js';
import { useTempDir } from './test-kit.js';

interface ShippedSchema {
  properties: {
    backend: { enum: string[] };
    data: { properties: Record<string, Record<string, unknown> & { enum?: string[] }> };
    train: {
      properties: {
        optimizer: { properties: Record<string, Record<string, unknown> & { enum?: string[] }> };
      };
    };
  };
}

const shipped = JSON.parse(
  readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8'),
) as ShippedSchema;
const optimizerSchema = shipped.properties.train.properties.optimizer.properties;

beforeAll(async () => {
  quietTf();
  await tf.setBackend('cpu');
});

const { write, dir } = useTempDir('registries');
const load = (set: readonly string[], text = MINIMAL): Promise<unknown> => {
  write('x.yaml', text);
  return loadExperiment('x.yaml', { registries: REGISTRIES, cwd: dir(), set });
};

describe('the optimizer registry', () => {
  it('has unique names, listed by the schema exactly, in order, the first the default', () => {
    const names = OPTIMIZERS.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    expect(optimizerSchema['type']?.enum).toEqual(names);
    expect(optimizerSchema['type']?.['default']).toBe(names[0]);
  });

  it('gives train.optimizer exactly the options its optimizers read, beside type and learningRate', () => {
    const options = new Set(OPTIMIZERS.flatMap((o) => Object.keys(o.options)));
    expect(Object.keys(optimizerSchema).sort()).toEqual(
      ['type', 'learningRate', ...options].sort(),
    );
  });

  describe.each(OPTIMIZERS.map((o) => [o.name, o] as const))('%s', (name, optimizer) => {
    it('is in the schema with each of its options, described with its default', () => {
      for (const [key, option] of Object.entries(optimizer.options)) {
        expect(optimizerSchema[key], key).toMatchObject(option.schema);
        expect(optimizerSchema[key]?.['description'], key).toContain(name);
        expect(optimizerSchema[key]?.['description'], key).toContain(String(option.default));
      }
    });

    it('loads with every option it reads, and hands them on as written', async () => {
      const set = Object.entries(optimizer.options).map(
        ([key, option]) => `train.optimizer.${key}=${String(option.default)}`,
      );
      const experiment = (await load([`train.optimizer.type=${name}`, ...set])) as {
        train: { optimizer: { type: string; options: Record<string, unknown> } };
      };
      expect(experiment.train.optimizer.type).toBe(name);
      expect(experiment.train.optimizer.options).toEqual(
        Object.fromEntries(Object.entries(optimizer.options).map(([k, o]) => [k, o.default])),
      );
    });

    it("refuses another optimizer's option, which it would ignore", async () => {
      const foreign = OPTIMIZERS.flatMap((o) => Object.keys(o.options)).filter(
        (key) => !Object.hasOwn(optimizer.options, key),
      );
      for (const key of new Set(foreign)) {
        // A value of the option's own type, so that only the option's owner is wrong.
        const owner = OPTIMIZERS.find((o) => Object.hasOwn(o.options, key));
        const owned = owner?.options[key as keyof typeof owner.options] as { default: unknown };
        const value = typeof owned.default === 'boolean' ? 'true' : '0.5';
        const diagnostics = await diagnosticsOf(
          load([`train.optimizer.type=${name}`, `train.optimizer.${key}=${value}`]),
        );
        expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
          ['optimizer-option', `--set train.optimizer.${key}`],
        ]);
      }
    });

    it('builds an update rule from its defaults that takes a step down, leaking no tensor', () => {
      const x = tf.variable(tf.scalar(3));
      const before = tf.memory().numTensors;
      const step = createOptimizer({ type: name, learningRate: 0.1, options: {} });
      for (let i = 0; i < 3; i++) {
        const { value, grads } = tf.variableGrads(() => tf.square(x) as tf.Scalar, [x]);
        step.apply([x], [grads[x.name]!], 0.1);
        tf.dispose([value, grads[x.name]!]);
      }
      const after = x.dataSync()[0] ?? Number.NaN;
      step.dispose();
      expect(after).toBeLessThan(3);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });

  it('is all the schema and the rules know: a new entry is accepted with its option, and only with it', async () => {
    const lion: OptimizerConfigEntry = {
      name: 'lion',
      description: 'a test-only optimizer',
      options: { beta3: { schema: { type: 'number' }, description: 'a test option', default: 1 } },
    };
    const registries = { ...REGISTRIES, optimizers: [...REGISTRIES.optimizers, lion] };
    const schema = buildExperimentSchema(registries);
    write('x.yaml', MINIMAL);
    const withLion = (set: string[]): Promise<unknown> =>
      loadExperiment('x.yaml', { registries, schema, cwd: dir(), set });
    await expect(
      withLion(['train.optimizer.type=lion', 'train.optimizer.beta3=2']),
    ).resolves.toMatchObject({ train: { optimizer: { type: 'lion', options: { beta3: 2 } } } });
    const diagnostics = await diagnosticsOf(withLion(['train.optimizer.beta3=2']));
    expect(diagnostics.map((d) => d.message)).toEqual([
      '"beta3" is not an option of adam (it is for lion)',
    ]);
  });
});

describe('the backend registry', () => {
  it('has unique names; the schema and --backend offer exactly auto and those names', () => {
    const names = BACKENDS.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    expect(shipped.properties.backend.enum).toEqual(['auto', ...names]);
    expect(BACKEND_CHOICES).toEqual(['auto', ...names]);
  });

  it('is what `runner exp --backend` accepts', () => {
    const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
    const help = spawnSync(process.execPath, [bin, 'exp', '--help'], { encoding: 'utf8' });
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      `(choices: ${BACKEND_CHOICES.map((c) => `"${c}"`).join(', ')})`,
    );
  });

  describe.each(BACKENDS.map((b) => [b.name] as const))('%s', (name) => {
    it('is a valid backend: in a config', async () => {
      await expect(load([`backend=${name}`])).resolves.toMatchObject({ backend: name });
    });
  });

  it('refuses a name that is not in it, with the choices', async () => {
    const diagnostics = await diagnosticsOf(load(['backend=gpu']));
    expect(diagnostics.map((d) => d.code)).toEqual(['unknown-backend']);
    expect(diagnostics[0]?.message).toContain(BACKEND_CHOICES.join(', '));
  });
});

describe('the dataset registry', () => {
  const dataSchema = shipped.properties.data.properties;
  const ownKeys = (d: DatasetConfigEntry): string[] =>
    Object.keys((d.optionsSchema['properties'] ?? {}) as object);
  const COMMON = ['dataset', 'batchSize', 'root', 'source', 'limit', 'validationSplit'];

  it('has unique names, listed by the schema exactly, in order', () => {
    const names = DATASETS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(dataSchema['dataset']?.enum).toEqual(names);
  });

  it("gives data: exactly the common keys and every dataset's own", () => {
    // Keys like `train` are shared (idx files, an image folder, a CSV file).
    const own = [...new Set(DATASETS.flatMap(ownKeys))];
    expect(Object.keys(dataSchema)).toEqual(expect.arrayContaining([...COMMON, ...own]));
    const unexplained = Object.keys(dataSchema).filter(
      (key) => !own.includes(key) && !COMMON.includes(key),
    );
    expect(unexplained.sort()).toEqual(['augment', 'normalize', 'shuffle']);
  });

  describe.each(DATASETS.map((d) => [d.name, d] as const))('%s', (name, dataset) => {
    it('is in the schema with each of its own keys, described as its own', () => {
      for (const key of ownKeys(dataset)) {
        expect(dataSchema[key]?.['description'], key).toMatch(
          new RegExp(`(^|; )dataset ${name}\\b`),
        );
      }
    });

    it('refuses the keys only other datasets read, which it would ignore', async () => {
      const owners = new Map<string, string[]>();
      for (const other of DATASETS.filter((d) => d !== dataset)) {
        for (const key of ownKeys(other)) {
          if (!ownKeys(dataset).includes(key)) {
            owners.set(key, [...(owners.get(key) ?? []), other.name]);
          }
        }
      }
      for (const [key, names] of owners) {
        const owner = `${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
        const diagnostics = await diagnosticsOf(
          load([`data.dataset=${name}`, `data.${key}={}`, 'data.validationSplit=0.1']),
        );
        expect(
          diagnostics.filter((d) => d.code === 'unused-key').map((d) => d.message),
          key,
        ).toEqual([`data.${key} is only read by dataset${owner}, not ${name}`]);
      }
    });
  });

  it('is all the rules know: a new entry brings its defaults, its own keys and its rules', async () => {
    const tiles: DatasetConfigEntry = {
      name: 'tiles',
      description: 'a test-only dataset',
      optionsSchema: {
        type: 'object',
        properties: {
          tiles: {
            type: 'object',
            properties: { size: { type: 'integer', default: 4 } },
          },
        },
      },
      configDefaults: { tiles: {} },
      checkConfig: ({ data }) =>
        data['batchSize'] === 8
          ? [{ path: ['data', 'batchSize'], code: 'invalid-value', message: 'not 8 for tiles' }]
          : [],
    };
    const registries = { ...REGISTRIES, datasets: [...REGISTRIES.datasets, tiles] };
    const schema = buildExperimentSchema(registries);
    write('x.yaml', MINIMAL);
    const withTiles = (set: string[]): Promise<unknown> =>
      loadExperiment('x.yaml', { registries, schema, cwd: dir(), set });
    await expect(withTiles(['data.dataset=tiles', 'data.batchSize=4'])).resolves.toMatchObject({
      data: { dataset: 'tiles', options: { tiles: { size: 4 } } },
    });
    const rule = await diagnosticsOf(withTiles(['data.dataset=tiles']));
    expect(rule.map((d) => d.message)).toEqual(['not 8 for tiles']);
    const foreign = await diagnosticsOf(withTiles(['data.tiles={}']));
    expect(foreign.map((d) => d.message)).toEqual([
      'data.tiles is only read by dataset tiles, not synthetic',
    ]);
  });
});
