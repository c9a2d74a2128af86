import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildExperimentSchema, EXPERIMENT_SCHEMA_URL } from '../../src/config/index.js';
import { LAYERS } from '../../src/model/index.js';

describe('schema/experiment.schema.json', () => {
  it('is exactly the schema generated from the layer registry (regenerate: npm run schema)', () => {
    const committed = readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8');
    const generated = `${JSON.stringify(buildExperimentSchema({ layers: LAYERS }), null, 2)}\n`;
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
