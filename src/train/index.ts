/**
 * train/: the loop, evaluation, checkpoints and sweeps. Takes a
 * resolved experiment and a store; reports progress to a caller-supplied
 * reporter and never prints.
 */
export { runExperiment } from './run-experiment.js';
export type {
  RunExperimentOptions,
  RunReporter,
  RunResult,
  RunStart,
  SweepTrialContext,
} from './run-experiment.js';
export type { StepEvent, EpochEvent, TrainStatus } from './train-loop.js';
export { evaluate, evaluationMetrics, type Evaluation } from './evaluate.js';
export { LOSSES, taskOfLoss, type LossDefinition, type LossName } from './losses.js';
export { scoreConfusion, type ClassScores, type ConfusionMatrix } from './confusion-matrix.js';
export {
  OPTIMIZERS,
  createOptimizer,
  defineOptimizer,
  type OptimizerDefinition,
  type OptimizerName,
} from './optimizers/index.js';
export { trainStep, clipGradients, type StepSettings } from './train-step.js';
export { createSchedule, type LearningRateSchedule } from './lr-schedule.js';
export type { UpdateRule, UpdateRuleState } from './update-rules/index.js';
export { hashConfig } from './run-facts.js';
export { sweepTrialContext } from './sweep-trial.js';
export {
  configurationOf,
  planTrials,
  plannedTrialCount,
  sampleSpaceAt,
  type SweepAxis,
  type SweepDefinition,
  type TrialPlan,
} from './sweep-plan.js';
export {
  finishedConfigurations,
  openTrialSource,
  proposeTrialAt,
  SAMPLERS,
  searchHistory,
  type TrialSource,
} from './sweep-search.js';
export { PRUNERS, bracketOf, prunerEntry, type PruneVerdict } from './sweep-pruners.js';
export { prunerOf } from './sweep-trial.js';
export {
  proposeTpe,
  type FinishedConfiguration,
  type RunningConfiguration,
  type SearchedConfiguration,
} from './tpe-sampler.js';
export { sweepVariedKeys, trialRunName } from './sweep-values.js';
export {
  runSweep,
  pendingTrials,
  FINAL_TRIAL_STATUSES,
  type RunSweepOptions,
  type TrialLauncher,
  type TrialReport,
} from './run-sweep.js';
export { prepareResume, CHECKPOINT_FILE, type ResumePlan } from './resume-run.js';
export {
  readTrainingCheckpoint,
  writeTrainingCheckpoint,
  type TrainingState,
} from './training-checkpoint.js';
export {
  startTrialWorker,
  type TrialExit,
  type TrialOutcome,
  type TrialProcess,
  type TrialProcessLauncher,
  type TrialWorker,
  type TrialWorkerOptions,
  type WorkerEvent,
} from './trial-worker.js';
export { settleSweepStatus } from './sweep-settle.js';
export { evaluateRun, type EvaluateRunOptions, type RunEvaluation } from './evaluate-run.js';
export {
  predictRun,
  type ClassProbability,
  type Prediction,
  type PredictRunOptions,
  type RunPredictions,
} from './predict-run.js';
export { loadSavedModel, savedModelDir, type SavedModelChoice } from './load-saved-model.js';
export {
  MISCLASSIFIED_FILE,
  type MisclassifiedExample,
  type MisclassifiedImages,
} from './misclassified.js';
export { startRun, type StartRunOptions, type LoggedRun } from './start-run.js';
