import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';
import { compileExperimentValidator, type ExperimentValidator } from './validate-schema.js';

/** schema/experiment.schema.json, from src/config/ and from dist/config/ alike. */
export const EXPERIMENT_SCHEMA_URL = new URL(
  '../../schema/experiment.schema.json',
  import.meta.url,
);

let shipped: Promise<ExperimentValidator> | undefined;
const compiled = new WeakMap<object, ExperimentValidator>();

/** The validator of the schema file the package ships, compiled once per process. */
export function shippedExperimentValidator(): Promise<ExperimentValidator> {
  shipped ??= readShippedSchema().then(compileExperimentValidator);
  return shipped;
}

/** A validator for a schema given in memory (tests, a registry that just built one). */
export function experimentValidatorFor(
  schema: Readonly<Record<string, unknown>>,
): ExperimentValidator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = compileExperimentValidator(schema);
    compiled.set(schema, validator);
  }
  return validator;
}

async function readShippedSchema(): Promise<Record<string, unknown>> {
  const file = fileURLToPath(EXPERIMENT_SCHEMA_URL);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    shipped = undefined;
    throw new InternalError(`cannot read the experiment schema ${file}`, { cause: error });
  }
}
