import type { DownloadProgress } from '../data/index.js';
import { createProgressTicker } from './progress-ticker.js';
import type { Renderer } from './render.js';

/**
 * Shows a download as it goes: a redrawn status line on a terminal; with stderr piped (a CI
 * log), a plain line every tenth of the file or 30 s (the 30 s rule alone when the server
 * sends no length), then `finished` once the file is in. One rule for `runner exp` and
 * `runner data fetch`.
 */
export function createDownloadLines(
  out: Renderer,
  options: {
    readonly format: (progress: DownloadProgress) => string;
    readonly finished: (progress: DownloadProgress) => string;
    readonly now?: () => number;
  },
): (progress: DownloadProgress) => void {
  const ticker = createProgressTicker(options.now);
  return (progress) => {
    if (progress.done) {
      ticker.reset();
      out.note(options.finished(progress));
    } else if (out.liveStatus) {
      out.status(options.format(progress));
    } else if (
      ticker.due(progress.totalBytes ? progress.receivedBytes / progress.totalBytes : Number.NaN)
    ) {
      out.note(options.format(progress));
    }
  };
}
