import { fileURLToPath } from 'node:url';
import { ConfigError, formatDiagnostic, type Diagnostic } from '../../src/errors.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The diagnostics of a load that must fail with a ConfigError. */
export async function diagnosticsOf(load: Promise<unknown>): Promise<readonly Diagnostic[]> {
  try {
    await load;
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

/** The printed lines of a load that must fail. */
export async function errorLinesOf(load: Promise<unknown>): Promise<string[]> {
  return (await diagnosticsOf(load)).map((d) => formatDiagnostic(d));
}

/** A small valid experiment, as YAML lines, to build test files from. */
export const MINIMAL = `name: minimal
data:
  dataset: synthetic
  batchSize: 8
model:
  input: [28, 28, 1]
  layers:
    - flatten: {}
    - dense: {units: 2}
train:
  epochs: 1
`;
