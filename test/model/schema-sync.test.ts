import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildExperimentSchema, EXPERIMENT_SCHEMA_URL } from '../../src/config/index.js';
import { LAYERS } from '../../src/model/index.js';
import { DATASETS } from '../../src/data/index.js';
import { REGISTRIES } from '../../src/registries.js';

describe('schema/experiment.schema.json', () => {
  it('is exactly the schema generated from the registries (regenerate: npm run schema)', () => {
    const committed = readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8');
    const generated = `${JSON.stringify(buildExperimentSchema(REGISTRIES), null, 2)}\n`;
    expect(committed).toBe(generated);
  });

  it('describes every layer kind of the registry with its arguments', () => {
    const schema = JSON.parse(readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8')) as {
      $defs: {
        layer: { properties: Record<string, { description: string; properties?: object }> };
      };
    };
    for (const layer of LAYERS) {
      const entry = schema.$defs.layer.properties[layer.kind];
      expect(entry?.description, layer.kind).toBe(layer.description);
      expect(entry?.properties, layer.kind).toEqual(layer.argsSchema['properties']);
    }
  });
});

describe('the data section of the schema', () => {
  it('names every dataset of the registry and takes the keys each one reads', () => {
    const schema = JSON.parse(readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8')) as {
      properties: { data: { properties: Record<string, { enum?: string[] }> } };
    };
    const data = schema.properties.data.properties;
    expect(data['dataset']?.enum).toEqual(DATASETS.map((d) => d.name));
    for (const dataset of DATASETS) {
      const own = Object.keys((dataset.optionsSchema['properties'] ?? {}) as object);
      for (const key of own)
        expect(Object.keys(data), `${dataset.name}: data.${key}`).toContain(key);
    }
  });
});
