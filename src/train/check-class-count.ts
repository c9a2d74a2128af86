import type { Experiment } from '../config/experiment.js';
import { findDataset } from '../data/index.js';
import { ConfigError, type Diagnostic } from '../errors.js';
import type { ModelPlan } from '../model/index.js';

/**
 * The class count a config fixes before any data loads (mnist: 10; synthetic
 * and idx: their `classes` option), or undefined when only the labels can tell.
 */
export function declaredClassCount(experiment: Experiment): number | undefined {
  try {
    return findDataset(experiment.data.dataset).classCount?.(experiment.data);
  } catch {
    return undefined; // bad data options: loading the data says what is wrong, in its own words
  }
}

/**
 * Cross-entropy needs one logit per class: the model's output width must be
 * the class count. Refused at the output layer's line (exit 2), before the
 * data loads when the config fixes the count (`validate`, `plan`, `exp`),
 * else as soon as the labels are read and before training starts.
 *
 * @param source says where the count comes from, e.g. `mnist has 10 classes`.
 */
export function checkClassCount(
  experiment: Experiment,
  plan: ModelPlan,
  classes: number | undefined,
  source = `${experiment.data.dataset} has ${classes} classes`,
): void {
  if (classes === undefined || experiment.train.loss !== 'crossEntropy') return;
  const units = plan.outputShape[plan.outputShape.length - 1];
  if (plan.outputShape.length !== 2 || units === classes) return;
  const { model } = experiment;
  const node = model.nodes.find((n) => n.name === model.output);
  const kind =
    node?.kind === 'dense' ? `dense layer has ${units} units` : `layer gives ${units} values`;
  const diagnostic: Diagnostic = {
    code: 'output-classes',
    path: node?.path ?? 'model.output',
    message: `the output ${kind} per example, but ${source}`,
    hint: `cross-entropy needs one output per class: set units: ${classes}${experiment.data.dataset === 'idx' ? ', or data.options.classes if the labels do not show every class' : ''}`,
    ...(node?.loc !== undefined
      ? { loc: node.loc }
      : model.loc !== undefined
        ? { loc: model.loc }
        : {}),
  };
  throw new ConfigError([diagnostic]);
}
