import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../errors.js';
import { LAYER_ITEM_KEYS } from './build-experiment-schema.js';
import { isPlainObject } from './document-path.js';
import { mapSchemaErrors } from './map-schema-errors.js';
import { listSchemaPaths } from './schema-paths.js';
import type { SourceMap } from './source-map.js';

type JsonSchema = Readonly<Record<string, unknown>>;

/** A compiled experiment schema and what the loader reads out of it. */
export interface ExperimentValidator {
  readonly schema: JsonSchema;
  /** The layer kinds the schema knows, in registry order. */
  readonly layerKinds: readonly string[];
  /** How many inputs each layer kind takes (from the schema's `dependentSchemas`). */
  readonly layerInputs: Readonly<Record<string, InputLimits>>;
  /**
   * Checks `document` and returns a copy with schema defaults filled in,
   * plus one located diagnostic per problem.
   */
  validate(
    document: Readonly<Record<string, unknown>>,
    sourceMap: SourceMap,
  ): { readonly defaulted: Record<string, unknown>; readonly diagnostics: Diagnostic[] };
}

/** Compiles the experiment schema with ajv (JSON Schema 2020-12, all errors, defaults). */
export function compileExperimentValidator(schema: JsonSchema): ExperimentValidator {
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    logger: false,
  });
  const check: ValidateFunction = ajv.compile(withoutLayerItemRules(schema));
  const layerKinds = readLayerKinds(schema);
  const layerInputs = readLayerInputs(schema, layerKinds);
  let paths: string[] | undefined;
  return {
    schema,
    layerKinds,
    layerInputs,
    validate(document, sourceMap) {
      const defaulted = structuredClone(document) as Record<string, unknown>;
      if (check(defaulted)) return { defaulted, diagnostics: [] };
      const diagnostics = mapSchemaErrors(check.errors ?? [], {
        document,
        sourceMap,
        layerKinds,
        schema,
        schemaPaths: () => (paths ??= listSchemaPaths(schema)),
      });
      return { defaulted, diagnostics };
    },
  };
}

export interface InputLimits {
  readonly min: number;
  readonly max: number | undefined;
}

/**
 * The layer item's "exactly one kind" (`oneOf`) and input counts
 * (`dependentSchemas`) are for editors; the loader checks them itself with
 * better messages (check-layer-graph.ts). Leaving them out of what ajv
 * compiles also cuts its compile time by about two thirds (the CLI pays it
 * once per run).
 */
function withoutLayerItemRules(schema: JsonSchema): JsonSchema {
  const copy = structuredClone(schema) as Record<string, unknown>;
  const defs = copy['$defs'];
  const layer = isPlainObject(defs) ? defs['layer'] : undefined;
  if (isPlainObject(layer)) {
    delete layer['oneOf'];
    delete layer['dependentSchemas'];
  }
  return copy;
}

function readLayerInputs(
  schema: JsonSchema,
  kinds: readonly string[],
): Record<string, InputLimits> {
  const defs = schema['$defs'];
  const layer = isPlainObject(defs) ? defs['layer'] : undefined;
  const rules = isPlainObject(layer) ? layer['dependentSchemas'] : undefined;
  const limits: Record<string, InputLimits> = {};
  for (const kind of kinds) {
    const rule = isPlainObject(rules) ? rules[kind] : undefined;
    const properties = isPlainObject(rule) ? rule['properties'] : undefined;
    const inputs = isPlainObject(properties) ? properties['inputs'] : undefined;
    const min = isPlainObject(inputs) ? inputs['minItems'] : undefined;
    const max = isPlainObject(inputs) ? inputs['maxItems'] : undefined;
    limits[kind] = {
      min: typeof min === 'number' ? min : 1,
      max: typeof max === 'number' ? max : isPlainObject(inputs) ? undefined : 1,
    };
  }
  return limits;
}

function readLayerKinds(schema: JsonSchema): string[] {
  const defs = schema['$defs'];
  const layer = isPlainObject(defs) ? defs['layer'] : undefined;
  const properties = isPlainObject(layer) ? layer['properties'] : undefined;
  if (!isPlainObject(properties)) return [];
  return Object.keys(properties).filter((k) => !(LAYER_ITEM_KEYS as readonly string[]).includes(k));
}
