import * as tf from '../../src/tf.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { buildModel, LAYERS, planModel, quietTf } from '../../src/model/index.js';
import { exampleModel } from './layer-examples.js';
import { ISSUE_LAYER_KINDS } from '../issue-layer-kinds.js';

beforeAll(async () => {
  quietTf();
  await tf.setBackend('cpu');
});

describe('the layer registry', () => {
  it('has unique kinds, in camelCase', () => {
    const kinds = LAYERS.map((l) => l.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const kind of kinds) expect(kind).toMatch(/^[a-z][A-Za-z0-9]*$/);
  });

  it('has every kind the issue asks for', () => {
    expect(LAYERS.map((l) => l.kind)).toEqual(expect.arrayContaining([...ISSUE_LAYER_KINDS]));
  });
});

describe.each(LAYERS.map((l) => [l.kind, l] as const))('layer %s', (_kind, definition) => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: true });

  it('has a strict, documented argument schema', () => {
    const schema = definition.argsSchema;
    expect(schema['type']).toBe('object');
    expect(schema['additionalProperties']).toBe(false);
    const properties = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
    for (const [key, property] of Object.entries(properties)) {
      expect(property['description'], `${key} has a description`).toEqual(expect.any(String));
    }
    expect(definition.description.length).toBeGreaterThan(10);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('accepts its examples and rejects an unknown argument', () => {
    const validate = ajv.compile(definition.argsSchema);
    for (const example of definition.examples) {
      expect(validate(structuredClone(example)), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(validate({ ...definition.examples[0], notAnArgument: 1 })).toBe(false);
  });

  it('builds every example, runs it forward and frees every tensor', () => {
    for (const example of definition.examples) {
      const before = tf.memory().numTensors;
      const spec = exampleModel(definition, example);
      const model = buildModel(spec, { seed: 3 });
      const x = tf.randomNormal([2, ...spec.input!]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, planModel(spec).outputShape[1]]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, y]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('locates a bad argument at its node', () => {
    const model = exampleModel(definition, definition.examples[0]!);
    const bad = {
      ...model,
      nodes: model.nodes.map((n) =>
        n.name === 'subject' ? { ...n, spec: { ...n.spec, notAnArgument: 1 } } : n,
      ),
    };
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      planModel(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).diagnostics[0]).toMatchObject({
      code: 'bad-layer-args',
      path: 'model.graph.subject',
      loc: { file: 'graph.yaml' },
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
