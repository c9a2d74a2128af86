import type * as tf from '../../tf.js';
import type { DiagnosticCode } from '../../config/index.js';
import type { Shape } from '../shape.js';

/** A JSON Schema (2020-12) fragment, as plain data. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** The arguments of one layer after its schema checked them and filled in defaults. */
export type LayerArgs = Readonly<Record<string, unknown>>;

/** What is wrong with the tensors fed to a layer, said as "expected X, found Y". */
export interface ShapeIssue {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly hint?: string;
}

/** What a layer needs to create its tf layers. */
export interface LayerContext {
  /** A tfjs-safe, model-unique name; extra tf layers append `/suffix` to it. */
  readonly name: string;
  /** Seed for this node's initializers and dropout, derived from the run seed and node index. */
  readonly seed: number;
  /** The shapes of the node's inputs, already accepted by `checkInputs`. */
  readonly inputShapes: readonly Shape[];
}

/**
 * A layer whose arguments are known: it checks the shapes it is fed and creates
 * the tf layer(s). When a kind needs several tf layers (`conv2d` with
 * `padding: 2` is zero padding then a valid convolution), they are applied in
 * order; the first receives all inputs.
 */
export interface ConfiguredLayer {
  checkInputs(shapes: readonly Shape[]): ShapeIssue | undefined;
  createLayers(context: LayerContext): tf.layers.Layer[];
}

/**
 * One entry of the layer registry: the one place a layer kind is defined.
 * The JSON Schema of experiments, the docs and the tests derive from it.
 *
 * @example
 * const flatten: LayerDefinition = {
 *   kind: 'flatten',
 *   description: 'Flattens each example to one dimension.',
 *   argsSchema: argsObject({}),
 *   inputs: ONE_INPUT,
 *   examples: [{}],
 *   configure: () => ({
 *     checkInputs: () => undefined,
 *     createLayers: ({ name }) => [tf.layers.flatten({ name })],
 *   }),
 * };
 */
export interface LayerDefinition {
  /** The key users write in `model.layers`, camelCase: `conv2d`, `batchNorm`. */
  readonly kind: string;
  /** One line for `--help`, the schema and editors. */
  readonly description: string;
  /** JSON Schema of the arguments object: `additionalProperties: false`, defaults, ranges, descriptions. */
  readonly argsSchema: JsonSchema;
  /** How many inputs the layer takes. */
  readonly inputs: InputCount;
  /** Valid argument objects (documentation and table-driven tests); the first is the canonical one. */
  readonly examples: readonly LayerArgs[];
  /** Turns schema-checked arguments (defaults filled in) into a configured layer. */
  configure(args: LayerArgs): ConfiguredLayer;
}

/** How many inputs a layer takes; no `max` means no upper limit. */
export interface InputCount {
  readonly min: number;
  readonly max?: number;
}

export const ONE_INPUT: InputCount = { min: 1, max: 1 };
export const TWO_OR_MORE_INPUTS: InputCount = { min: 2 };
