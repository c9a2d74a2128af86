import { formatDuration } from '../../format/index.js';
import {
  evaluationMetrics,
  type Evaluation,
  type RunReporter,
  type RunResult,
} from '../../train/index.js';
import type { Renderer } from '../render.js';
import { createDownloadLines } from '../download-lines.js';
import { createProgressTicker } from '../progress-ticker.js';

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
    /** The clock (tests); default Date.now. */
    readonly now?: () => number;
  },
): RunReporter {
  if (options.quiet) return {};
  const now = options.now ?? Date.now;
  const live = out.liveStatus;
  const ticker = createProgressTicker(now);
  let epochStart = 0;
  let lastDraw = 0;
  let images = 0;
  let lossSum = 0;
  let correct: number | undefined;
  let totalSteps = 0;
  // The whole run's pace: wall time (evaluations included) per step taken by this process.
  let startedAt: number | undefined;
  let firstStep: number | undefined;
  // What an evaluation runs on, for the line that says it is under way.
  let evalWhat = '';
  let epochCount = 0;
  return {
    onDownload: createDownloadLines(out, {
      format: options.formatDownload,
      finished: (progress) => `downloaded ${progress.dataset} ${progress.file}`,
      now,
    }),
    onStart: ({ runId, name, runDir, backend, data, plan, workers, workerNotices }) => {
      const rows: [string, string][] = [
        ['backend', `${backend.name}: ${backend.kernels} (${backend.reason})`],
        ['workers', `${workers.count} (${workers.reason})`],
        [
          'data',
          `${data.source.dataset} from ${data.source.kind} ${data.source.location}: ` +
            `${data.train.count.toLocaleString('en-US')} train / ${data.eval.count.toLocaleString('en-US')} ${data.evalName}`,
        ],
        ...[...data.notices, ...workerNotices].map((n): [string, string] => ['notice', n]),
        [
          'model',
          `${plan.trainableParams.toLocaleString('en-US')} trainable parameters` +
            (plan.nonTrainableParams > 0
              ? ` (+${plan.nonTrainableParams.toLocaleString('en-US')} non-trainable)`
              : ''),
        ],
        ['files', runDir],
      ];
      evalWhat = `${data.eval.count.toLocaleString('en-US')} ${data.evalName} example${data.eval.count === 1 ? '' : 's'}`;
      out.note(`run ${runId} ${name}`);
      for (const [label, text] of rows) out.note(`  ${label.padEnd(8)} ${text}`);
    },
    onEpochStart: (_epoch, epochs, batches) => {
      epochStart = now();
      startedAt ??= epochStart;
      lastDraw = 0;
      images = 0;
      lossSum = 0;
      correct = undefined;
      totalSteps = epochs * batches;
      epochCount = epochs;
      ticker.reset();
    },
    onStep: (event, epochs) => {
      const t = now();
      firstStep ??= event.step - 1;
      images += event.size;
      lossSum += event.loss * event.size;
      if (event.accuracy !== undefined) correct = (correct ?? 0) + event.accuracy * event.size;
      const done = event.batchIndex + 1;
      const fraction = done / event.batchesPerEpoch;
      if (live) {
        // Redraw at most ten times a second: the terminal must not slow training.
        if (t - lastDraw < 100 && done < event.batchesPerEpoch) return;
        lastDraw = t;
      } else if (!ticker.due(fraction)) {
        return;
      }
      const seconds = (t - epochStart) / 1000;
      const rate = seconds > 0 ? images / seconds : 0;
      const epochEta = done > 0 ? ((event.batchesPerEpoch - done) * seconds) / done : 0;
      const taken = event.step - firstStep;
      const runEta =
        taken > 0
          ? (Math.max(0, totalSteps - event.step) * (t - (startedAt ?? epochStart))) / 1000 / taken
          : 0;
      const means =
        `loss ${(lossSum / images).toFixed(4)}` +
        (correct === undefined ? '' : `  acc ${(correct / images).toFixed(4)}`);
      const pace = `${Math.round(rate).toLocaleString('en-US')} img/s`;
      const eta =
        event.epoch < epochs
          ? `ETA ${formatDuration(epochEta * 1000)} (run ${formatDuration(runEta * 1000)})`
          : `ETA ${formatDuration(epochEta * 1000)}`;
      if (live) {
        const filled = Math.round(fraction * BAR_WIDTH);
        out.status(
          `epoch ${event.epoch}/${epochs} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` +
            `${done}/${event.batchesPerEpoch}  ${means}  ${pace}  ${eta}`,
        );
      } else {
        out.note(
          `epoch ${event.epoch}/${epochs}  ${Math.floor(fraction * 100)}% (${done}/${event.batchesPerEpoch})  ${means}  ${pace}  ${eta}`,
        );
      }
    },
    onResume: ({ step, epoch, forced }) => {
      out.note(
        `resuming at step ${step} (epoch ${epoch})` +
          (forced.length > 0 ? `, forced despite ${forced.join(' and ')}` : ''),
      );
    },
    // Evaluation runs in one go (no step to report from), so one line says it started: redrawn
    // on a terminal, a plain line in a log (a slow evaluation is not mistaken for a hang).
    onEvaluate: (epoch) => {
      const text = `epoch ${epoch}/${epochCount}  evaluating on ${evalWhat}`;
      if (live) out.status(text);
      else out.note(text);
    },
    onEpochEnd: (event, epochs, isBest) => {
      const seconds = (now() - epochStart) / 1000;
      const train = Number.isFinite(event.train.loss)
        ? `train loss ${event.train.loss.toFixed(4)}` +
          (event.train.accuracy === undefined ? '' : `  acc ${event.train.accuracy.toFixed(4)}`) +
          '  '
        : '';
      out.note(
        `epoch ${event.epoch}/${epochs}  ${train}${formatEvaluation(event.evalName, event.evaluation, '  ')}  ` +
          `${Math.round(event.imagesPerSec).toLocaleString('en-US')} img/s  ${formatDuration(seconds * 1000)}` +
          (isBest ? '  (best so far, checkpoint saved)' : ''),
      );
    },
  };
}

/** What `runner exp` prints after its summary line: where to look next, aligned. */
export function formatNextSteps(
  runId: number,
  dashboard?: { readonly url: string; readonly own: boolean },
): string[] {
  const rows: [string, string][] = [
    [`runner runs show ${runId}`, 'details and curves'],
    ['runner runs ls', 'all runs'],
    dashboard === undefined
      ? ['runner serve', 'live dashboard']
      : [dashboard.url, dashboard.own ? 'live dashboard (serving until Ctrl-C)' : 'live dashboard'],
  ];
  const width = Math.max(...rows.map(([command]) => command.length));
  return rows.map(([command, what]) => `  ${command.padEnd(width)}  ${what}`);
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
    `run ${result.runId} ${result.name} ${result.status}${diverged}${stopped} after ${result.steps.toLocaleString('en-US')} step${result.steps === 1 ? '' : 's'} ` +
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
