import { spawnSync } from 'node:child_process';

/**
 * TensorBoard's own reader of event files, when a Python with the `tensorboard` package is on
 * this machine: `RUNNER_TENSORBOARD_PYTHON`, else `python3`. Not required under CI=true (CI
 * installs no Python packages); the spec decoder of export-tfevents.test.ts runs everywhere.
 */
export function tensorboardPython(): { python: string } | { missing: string } {
  const python = process.env['RUNNER_TENSORBOARD_PYTHON'] ?? 'python3';
  const probe = spawnSync(
    python,
    [
      '-c',
      'import tensorboard.backend.event_processing.event_accumulator, tensorboard; print(tensorboard.__version__)',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (probe.status === 0) return { python };
  return {
    missing:
      `skipped: no real TensorBoard (${python} cannot import tensorboard${probe.error ? `: ${probe.error.message}` : ''}); ` +
      'set RUNNER_TENSORBOARD_PYTHON to a Python with it (e.g. python3 -m venv /tmp/tb && /tmp/tb/bin/pip install tensorboard); not required under CI=true',
  };
}

/** What TensorBoard's `EventAccumulator` loads from one run folder. */
export interface TensorboardRun {
  readonly version: string;
  /** The number after `brain.Event:` of the file's first event. */
  readonly fileVersion: number | null;
  readonly firstEventTime: number;
  readonly tags: { readonly scalars: string[]; readonly tensors: string[] };
  /** Scalar tag -> [step, value, wall time] per event, as `Scalars(tag)` returns them; NaN as null. */
  readonly scalars: Record<string, [number, number | null, number][]>;
  /** Text tag -> plugin name and the text of its last event (`Tensors(tag)`, DT_STRING). */
  readonly texts: Record<string, { readonly plugin: string; readonly text: string }>;
}

const SCRIPT = `
import json, math, sys
import tensorboard
from tensorboard.backend.event_processing import event_accumulator as ea

out = {}
for folder in sys.argv[1:]:
    acc = ea.EventAccumulator(folder, size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    scalars = {}
    for tag in tags[ea.SCALARS]:
        scalars[tag] = [[e.step, None if math.isnan(e.value) else e.value, e.wall_time] for e in acc.Scalars(tag)]
    texts = {}
    for tag in tags[ea.TENSORS]:
        event = acc.Tensors(tag)[-1]
        texts[tag] = {
            "plugin": acc.SummaryMetadata(tag).plugin_data.plugin_name,
            "text": event.tensor_proto.string_val[0].decode("utf-8"),
        }
    out[folder] = {
        "version": tensorboard.__version__,
        "fileVersion": acc.file_version,
        "firstEventTime": acc.FirstEventTimestamp(),
        "tags": {"scalars": sorted(tags[ea.SCALARS]), "tensors": sorted(tags[ea.TENSORS])},
        "scalars": scalars,
        "texts": texts,
    }
print(json.dumps(out))
`;

/** Loads each folder with TensorBoard's `EventAccumulator` (a Python child process). */
export function readWithTensorboard(
  python: string,
  folders: readonly string[],
): Record<string, TensorboardRun> {
  const result = spawnSync(python, ['-c', SCRIPT, ...folders], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0)
    throw new Error(`TensorBoard's reader failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, TensorboardRun>;
}
