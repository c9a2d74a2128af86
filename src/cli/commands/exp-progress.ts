import { formatDuration } from '../../format/index.js';
import {
  evaluationMetrics,
  type Evaluation,
  type RunReporter,
  type RunResult,
} from '../../train/index.js';
import type { Renderer } from '../render.js';

const BAR_WIDTH = 24;

/**
 * What `runner exp` shows while it waits: the run's facts, a progress bar per
 * epoch (loss, accuracy, images/s, ETA) and one line per finished epoch.
 * `quiet` keeps only what the caller prints at the end.
 */
export function createProgressReporter(
  out: Renderer,
  options: {
    readonly quiet: boolean;
    readonly formatDownload: (p: Parameters<NonNullable<RunReporter['onDownload']>>[0]) => string;
  },
): RunReporter {
  if (options.quiet) return {};
  let epochStart = 0;
  let lastDraw = 0;
  let images = 0;
  return {
    onDownload: (progress) => {
      out.status(options.formatDownload(progress));
      if (progress.done) out.note(`downloaded ${progress.dataset} ${progress.file}`);
    },
    onStart: ({ runId, name, runDir, backend, data, plan, workers, workerNotices }) => {
      out.note(`run ${runId} ${name}`);
      out.note(`  backend  ${backend.name}: ${backend.kernels} (${backend.reason})`);
      out.note(`  workers  ${workers.count} (${workers.reason})`);
      out.note(
        `  data     ${data.source.dataset} from ${data.source.kind} ${data.source.location}: ` +
          `${data.train.count.toLocaleString('en-US')} train / ${data.eval.count.toLocaleString('en-US')} ${data.evalName}`,
      );
      for (const notice of [...data.notices, ...workerNotices]) out.note(`  notice   ${notice}`);
      out.note(
        `  model    ${plan.trainableParams.toLocaleString('en-US')} trainable parameters` +
          (plan.nonTrainableParams > 0
            ? ` (+${plan.nonTrainableParams.toLocaleString('en-US')} non-trainable)`
            : ''),
      );
      out.note(`  files    ${runDir}`);
    },
    onEpochStart: () => {
      epochStart = Date.now();
      lastDraw = 0;
      images = 0;
    },
    onStep: (event, epochs) => {
      images += event.size;
      const nowMs = Date.now();
      // Redraw at most ten times a second: the terminal must not slow training.
      if (nowMs - lastDraw < 100 && event.batchIndex + 1 < event.batchesPerEpoch) return;
      lastDraw = nowMs;
      const done = event.batchIndex + 1;
      const seconds = (nowMs - epochStart) / 1000;
      const rate = seconds > 0 ? images / seconds : 0;
      const eta = rate > 0 ? ((event.batchesPerEpoch - done) * (images / done)) / rate : 0;
      const filled = Math.round((done / event.batchesPerEpoch) * BAR_WIDTH);
      out.status(
        `epoch ${event.epoch}/${epochs} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` +
          `${done}/${event.batchesPerEpoch}  loss ${event.loss.toFixed(4)}  ${event.accuracy === undefined ? '' : `acc ${event.accuracy.toFixed(4)}  `}` +
          `${Math.round(rate).toLocaleString('en-US')} img/s  ETA ${formatDuration(eta * 1000)}`,
      );
    },
    onResume: ({ step, epoch, forced }) => {
      out.note(
        `resuming at step ${step} (epoch ${epoch})` +
          (forced.length > 0 ? `, forced despite ${forced.join(' and ')}` : ''),
      );
    },
    onEvaluate: (epoch) => out.status(`epoch ${epoch}: evaluating`),
    onEpochEnd: (event, epochs, isBest) => {
      const seconds = (Date.now() - epochStart) / 1000;
      out.note(
        `epoch ${event.epoch}/${epochs}  ${formatEvaluation(event.evalName, event.evaluation, '  ')}  ` +
          `${Math.round(event.imagesPerSec).toLocaleString('en-US')} img/s  ${formatDuration(seconds * 1000)}` +
          (isBest ? '  (best so far, checkpoint saved)' : ''),
      );
    },
  };
}

/** The one line `runner exp` ends with (also all that `--quiet` prints). */
export function formatRunSummary(result: RunResult): string {
  const evaluation = result.final
    ? formatEvaluation(result.evalName, result.final, ', ', true)
    : 'no evaluation';
  const headline = (e: Evaluation): number => e.accuracy ?? e.loss;
  const best =
    result.best && result.epochs > 1
      ? ` (best ${headline(result.best).toFixed(4)} at epoch ${result.best.epoch})`
      : '';
  const diverged =
    result.status === 'diverged'
      ? ` at step ${result.divergedAtStep} (${result.divergence}; try a smaller train.optimizer.learningRate)`
      : '';
  const stopped = result.stopReason !== undefined ? ` (${result.stopReason})` : '';
  return (
    `run ${result.runId} ${result.name} ${result.status}${diverged}${stopped} after ${result.steps} steps ` +
    `in ${formatDuration(result.durationMs)} on ${result.backend}: ${evaluation}${best}`
  );
}

/**
 * `test loss 0.31  test accuracy 0.9012`, or for regression
 * `test loss 0.52  test rmse 0.72  test mae 0.55`; `headlineFirst` puts the
 * accuracy (or RMSE) before the loss, as the run summary does.
 */
function formatEvaluation(
  evalName: string,
  evaluation: Evaluation,
  separator: string,
  headlineFirst = false,
): string {
  const metrics = evaluationMetrics(evaluation);
  const keys = Object.keys(metrics);
  const ordered = headlineFirst ? [...keys.filter((k) => k !== 'loss'), 'loss'] : keys;
  return ordered
    .map((key, i) =>
      headlineFirst && i > 0
        ? `${key} ${metrics[key]!.toFixed(4)}`
        : `${evalName} ${key} ${metrics[key]!.toFixed(4)}`,
    )
    .join(separator);
}
