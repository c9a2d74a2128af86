import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { REGISTRIES } from '../../src/registries.js';
import {
  buildExperimentSchema,
  type LayerSchemaEntry,
  EXPERIMENT_SCHEMA_URL,
  loadExperiment,
} from '../../src/config/index.js';
import { MINIMAL, errorLinesOf } from './config-test-kit.js';
import { useTempDir } from '../test-kit.js';
import { ISSUE_LAYER_KINDS } from '../issue-layer-kinds.js';

const strictAjv = (): Ajv2020 =>
  new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });

/** Three entries in the registry's shape: enough to see how entries become schema. */
const LAYER_CATALOG: readonly LayerSchemaEntry[] = [
  {
    kind: 'dense',
    description: 'Fully connected layer.',
    argsSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['units'],
      properties: { units: { type: 'integer', minimum: 1 } },
    },
  },
  {
    kind: 'flatten',
    description: 'Flattens all but the batch dimension.',
    argsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  {
    kind: 'add',
    description: 'Element-wise sum.',
    argsSchema: { type: 'object', additionalProperties: false, properties: {} },
    inputs: { min: 2 },
  },
];

describe('buildExperimentSchema', () => {
  const built = buildExperimentSchema({ layers: LAYER_CATALOG });
  const layer = (built['$defs'] as Record<string, Record<string, unknown>>)['layer'] as {
    properties: Record<string, { description?: string; type?: unknown }>;
    oneOf: unknown[];
    dependentSchemas: Record<string, unknown>;
  };

  it('compiles under strict JSON Schema 2020-12, with an $id', () => {
    expect(() => strictAjv().compile(built)).not.toThrow();
    expect(built['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(built['$id']).toMatch(/experiment\.schema\.json$/);
  });

  it('makes each layer kind a described key of the layer item, beside name and inputs', () => {
    expect(Object.keys(layer.properties)).toEqual([
      'name',
      'inputs',
      ...LAYER_CATALOG.map((l) => l.kind),
    ]);
    for (const entry of LAYER_CATALOG) {
      expect(layer.properties[entry.kind]?.description).toBe(entry.description);
    }
    expect(layer.oneOf).toHaveLength(LAYER_CATALOG.length);
  });

  it('lets a layer without required arguments be written with no value', () => {
    expect(layer.properties['flatten']?.type).toEqual(['object', 'null']);
    expect(layer.properties['dense']?.type).toBe('object');
  });

  it('turns the input count of a layer into limits on its inputs', () => {
    expect(layer.dependentSchemas['add']).toEqual({
      required: ['inputs'],
      properties: { inputs: { type: 'array', minItems: 2 } },
    });
    expect(layer.dependentSchemas['dense']).toEqual({
      properties: { inputs: { type: 'array', maxItems: 1 } },
    });
  });

  it('is pure: the same input gives the same schema', () => {
    expect(JSON.stringify(buildExperimentSchema({ layers: LAYER_CATALOG }))).toBe(
      JSON.stringify(built),
    );
  });

  it('refuses a kind registered twice or named like an item key', () => {
    const [first] = LAYER_CATALOG;
    if (!first) throw new Error('empty catalog');
    expect(() => buildExperimentSchema({ layers: [first, first] })).toThrow(/registered twice/);
    expect(() => buildExperimentSchema({ layers: [{ ...first, kind: 'inputs' }] })).toThrow(
      /item key/,
    );
  });
});

describe('the shipped schema/experiment.schema.json', () => {
  const shipped = JSON.parse(readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8')) as Record<
    string,
    unknown
  >;
  const { write, dir } = useTempDir('config');

  it('compiles under strict JSON Schema 2020-12', () => {
    expect(() => strictAjv().compile(shipped)).not.toThrow();
  });

  it('knows every layer kind the issue asks for', () => {
    const layer = (shipped['$defs'] as { layer: { properties: Record<string, unknown> } }).layer;
    expect(Object.keys(layer.properties)).toEqual(expect.arrayContaining([...ISSUE_LAYER_KINDS]));
  });

  it('is what loadExperiment checks against (an unknown layer is refused)', async () => {
    write('x.yaml', MINIMAL.replace('- flatten: {}', '- flattn: {}'));
    const lines = await errorLinesOf(
      loadExperiment('x.yaml', { registries: REGISTRIES, cwd: dir() }),
    );
    expect(lines).toEqual([
      'x.yaml:8:7 error unknown-layer: model.layers[0]: unknown layer "flattn" (did you mean "flatten"?)',
    ]);
  });
});
