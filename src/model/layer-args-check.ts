import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../errors.js';
import type { LayerNode } from '../config/experiment.js';
import type { LayerArgs, LayerDefinition } from './layers/index.js';

/**
 * Checks a node's arguments against its kind's `argsSchema` and fills in the
 * defaults, so the schema is the one place defaults live. The config stage
 * has normally checked them already (with exact line:col); this check keeps
 * the model stage safe when it is handed a ModelSpec built in code.
 */
export function createArgsChecker(): (
  definition: LayerDefinition,
  node: LayerNode,
) => LayerArgs | Diagnostic[] {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true });
  const compiled = new Map<string, ValidateFunction>();
  return (definition, node) => {
    let validate = compiled.get(definition.kind);
    if (validate === undefined) {
      validate = ajv.compile(definition.argsSchema);
      compiled.set(definition.kind, validate);
    }
    // `- flatten:` with no value arrives as null: no arguments.
    const args = structuredClone(node.spec ?? {}) as Record<string, unknown>;
    if (validate(args)) return Object.freeze(args);
    return (validate.errors ?? []).map((error) => argsDiagnostic(node, error));
  };
}

function argsDiagnostic(node: LayerNode, error: ErrorObject): Diagnostic {
  const key = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})`
      : error.keyword === 'enum'
        ? `: ${((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')}`
        : '';
  const subject = key === '' ? `${node.kind} arguments` : `${node.kind} argument ${key}`;
  return {
    code: 'bad-layer-args',
    message: `${subject} ${error.message ?? 'is invalid'}${extra}`,
    path: node.path,
    ...(node.loc === undefined ? {} : { loc: node.loc }),
  };
}
