import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scoreConfusion } from '../train/confusion-matrix.js';
import { MISCLASSIFIED_FILE, type MisclassifiedImages } from '../train/misclassified.js';
import type { ApiRequest, ApiResult } from './api-routes.js';
import type { RunEvaluationItem, RunEvaluationsResponse } from './api-types.js';
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
  const evaluations: RunEvaluationItem[] = (await store.listEvaluations(id)).map((e) => {
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
    };
  });
  return {
    status: 200,
    body: { evaluations, misclassified: readGrid(run.artifactsDir) },
  };
}

function readGrid(dir: string | null): MisclassifiedImages | null {
  if (dir === null) return null;
  const file = join(dir, MISCLASSIFIED_FILE);
  try {
    if (statSync(file).size > MAX_GRID_BYTES) return null;
    return JSON.parse(readFileSync(file, 'utf8')) as MisclassifiedImages;
  } catch {
    // No grid (a table, a regression, a run from before the grid, a failed run): none is shown.
    return null;
  }
}
