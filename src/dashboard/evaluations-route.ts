import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scoreConfusion } from '../train/confusion-matrix.js';
import {
  MISCLASSIFIED_FILE,
  misclassifiedFile,
  type MisclassifiedImages,
} from '../train/misclassified.js';
import type { ApiRequest, ApiResult } from './api-routes.js';
import type {
  MisclassifiedGridResponse,
  RunEvaluationItem,
  RunEvaluationsResponse,
} from './api-types.js';
import { parsePositiveInt } from './query-params.js';

/** A grid file larger than this is not read (16 images are a few hundred kB at most). */
const MAX_GRID_BYTES = 16 * 1024 * 1024;

/**
 * GET /api/runs/:id/evaluations — every evaluation of the run with its
 * confusion matrix and per-class scores, and the grid of the most confidently
 * misclassified eval images that training kept in the run's artifacts folder.
 */
export async function runEvaluationsRoute({
  store,
  params,
}: ApiRequest): Promise<ApiResult<RunEvaluationsResponse>> {
  const id = parsePositiveInt(params[0] ?? '');
  const missing = (message: string): ApiResult<never> => ({
    status: 404,
    body: { error: { status: 404, message } },
  });
  if (!store || id === undefined) return missing(`no run ${params[0] ?? ''}`);
  const run = await store.getRun(id);
  if (!run) return missing(`no run ${id} in this store`);
  const stored = await store.listEvaluations(id);
  const dir = run.artifactsDir;
  // The first training evaluation of a run recorded before grids were kept per evaluation.
  const legacy = stored.find((e) => e.kind === 'training')?.id;
  const gridOf = (evaluationId: number): string | undefined => {
    if (dir === null) return undefined;
    const file = misclassifiedFile(dir, evaluationId);
    if (existsSync(file)) return file;
    return evaluationId === legacy && existsSync(join(dir, MISCLASSIFIED_FILE))
      ? join(dir, MISCLASSIFIED_FILE)
      : undefined;
  };
  const evaluations: RunEvaluationItem[] = stored.map((e) => {
    const scores = e.confusion ? scoreConfusion(e.confusion) : undefined;
    return {
      id: e.id,
      kind: e.kind,
      checkpoint: e.checkpoint,
      split: e.split,
      count: e.count,
      metrics: e.metrics,
      createdAt: e.createdAt,
      classes: e.classes ?? null,
      counts: e.confusion ?? null,
      perClass: scores?.perClass ?? null,
      macroF1: scores?.macroF1 ?? null,
      misclassified: gridOf(e.id) !== undefined,
    };
  });
  // The grid of the evaluation the page shows first: the newest with a confusion matrix.
  const newest = [...evaluations].reverse().find((e) => e.counts !== null);
  const file = newest ? gridOf(newest.id) : undefined;
  const grid = file ? readGrid(file) : null;
  return {
    status: 200,
    body: {
      evaluations,
      misclassified: grid && newest ? { ...grid, evaluationId: newest.id } : null,
    },
  };
}

/**
 * GET /api/runs/:id/evaluations/:evaluation/misclassified — the most
 * confidently misclassified images of one evaluation (404 when it kept none).
 */
export async function evaluationMisclassifiedRoute({
  store,
  params,
}: ApiRequest): Promise<ApiResult<MisclassifiedGridResponse>> {
  const id = parsePositiveInt(params[0] ?? '');
  const evaluationId = parsePositiveInt(params[1] ?? '');
  const missing = (message: string): ApiResult<never> => ({
    status: 404,
    body: { error: { status: 404, message } },
  });
  if (!store || id === undefined || evaluationId === undefined)
    return missing(`no evaluation ${params[1] ?? ''} of run ${params[0] ?? ''}`);
  const run = await store.getRun(id);
  if (!run) return missing(`no run ${id} in this store`);
  const evaluations = await store.listEvaluations(id);
  if (!evaluations.some((e) => e.id === evaluationId))
    return missing(`run ${id} has no evaluation ${evaluationId}`);
  const dir = run.artifactsDir;
  const legacy = evaluations.find((e) => e.kind === 'training')?.id === evaluationId;
  const file =
    dir === null
      ? undefined
      : [
          misclassifiedFile(dir, evaluationId),
          ...(legacy ? [join(dir, MISCLASSIFIED_FILE)] : []),
        ].find((f) => existsSync(f));
  const grid = file ? readGrid(file) : null;
  if (grid === null)
    return missing(`evaluation ${evaluationId} of run ${id} kept no misclassified images`);
  return { status: 200, body: { ...grid, evaluationId } };
}

function readGrid(file: string): MisclassifiedImages | null {
  try {
    if (statSync(file).size > MAX_GRID_BYTES) return null;
    return JSON.parse(readFileSync(file, 'utf8')) as MisclassifiedImages;
  } catch {
    // An unreadable grid (a run being written, a damaged file): none is shown.
    return null;
  }
}
