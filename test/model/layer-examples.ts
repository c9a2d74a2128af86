import type { ModelSpec } from '../../src/config/experiment.js';
import { ConfigError } from '../../src/errors.js';
import { planModel, type LayerDefinition } from '../../src/model/index.js';
import { graph } from './model-spec.js';

/** Input shapes for kinds that do not take the default [8, 8, 3] image. */
const EXAMPLE_INPUT: Readonly<Record<string, readonly number[]>> = {
  dense: [12],
  reshape: [784],
};

/** A model around one example: the layer (merges get two branches), then flatten + dense if needed. */
export function exampleModel(
  definition: LayerDefinition,
  args: Readonly<Record<string, unknown>>,
): ModelSpec {
  const input = EXAMPLE_INPUT[definition.kind] ?? [8, 8, 3];
  const feeders =
    definition.inputs.min >= 2
      ? [
          { name: 'left', kind: 'relu', inputs: ['input'] },
          { name: 'right', kind: 'sigmoid', inputs: ['input'] },
        ]
      : [];
  const layer = {
    name: 'subject',
    kind: definition.kind,
    inputs: feeders.length > 0 ? feeders.map((f) => f.name) : ['input'],
    spec: { ...args },
  };
  const probe = planModelOrRank(graph(input, [...feeders, layer], 'subject'));
  const head =
    probe === 2
      ? []
      : [
          { name: 'flat', kind: 'flatten', inputs: ['subject'] },
          { name: 'logits', kind: 'dense', inputs: ['flat'], spec: { units: 2 } },
        ];
  return graph(input, [...feeders, layer, ...head], head.length > 0 ? 'logits' : 'subject');
}

/** The rank of the subject's output, read from the error when it is not 2-D. */
function planModelOrRank(model: ModelSpec): number {
  try {
    return planModel(model).outputShape.length;
  } catch (error) {
    if (error instanceof ConfigError && error.diagnostics[0]?.code === 'bad-output-shape') return 4;
    throw error;
  }
}
