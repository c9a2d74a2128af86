import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildExperimentSchema, EXPERIMENT_SCHEMA_URL } from '../../src/config/index.js';
import { LAYER_CATALOG } from './fixtures/layer-catalog.js';

const schemaFile = fileURLToPath(EXPERIMENT_SCHEMA_URL);

/**
 * The committed schema is generated from the layer catalog. Regenerate with
 *   UPDATE_SCHEMA=1 npx vitest run test/config/schema-file.test.ts
 * (the model stage's `runner schema` takes this over once its registry lands).
 */
describe('schema/experiment.schema.json', () => {
  const built = buildExperimentSchema({ layers: LAYER_CATALOG });
  const text = `${JSON.stringify(built, null, 2)}\n`;
  if (process.env['UPDATE_SCHEMA'] === '1') writeFileSync(schemaFile, text);

  it('is the schema built from the layer catalog', () => {
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(built);
  });

  it('compiles under strict JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });
    expect(() => ajv.compile(built)).not.toThrow();
    expect(built['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(built['$id']).toMatch(/experiment\.schema\.json$/);
  });

  it('describes every layer kind for editors', () => {
    const layer = (
      built['$defs'] as Record<string, Record<string, Record<string, { description?: string }>>>
    )['layer'];
    for (const entry of LAYER_CATALOG) {
      expect(layer?.['properties']?.[entry.kind]?.description).toBe(entry.description);
    }
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
