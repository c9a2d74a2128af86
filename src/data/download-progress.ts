import type { DownloadProgress } from './dataset.js';

const BAR_WIDTH = 24;

/**
 * One status line for a download in progress, for the CLI to draw:
 * `mnist train-images-idx3-ubyte.gz [#########...............]  38%  3.8/9.9 MB`
 */
export function formatDownloadProgress(progress: DownloadProgress): string {
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  const head = `${progress.dataset} ${progress.file}`;
  if (progress.totalBytes === undefined || progress.totalBytes === 0) {
    return `${head} ${mb(progress.receivedBytes)} MB`;
  }
  const fraction = Math.min(1, progress.receivedBytes / progress.totalBytes);
  const filled = Math.round(fraction * BAR_WIDTH);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${head} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent}  ${mb(progress.receivedBytes)}/${mb(progress.totalBytes)} MB`;
}
