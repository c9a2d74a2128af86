/** Edit distance (insert, delete, substitute, and swap of neighbours count 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `word`, when it is close enough to be a likely
 * typo: at most a third of the word's length in edits (at least 1, at most 3),
 * or equal ignoring case.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance =
      candidate.toLowerCase() === lower ? 0.5 : editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  // Replacing every letter of a short word is no suggestion ("x" is not a typo of "y").
  return bestDistance <= limit && bestDistance < word.length ? best : undefined;
}

/** `did you mean "filters"?`, or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closestMatch(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}

/**
 * What a PyTorch user types (lower-cased, as in `nn.Linear(in_features, out_features)`)
 * and what runner calls it: the story this product grew from is a PyTorch tutorial.
 */
const PYTORCH_NAMES: Readonly<Record<string, string>> = {
  linear: 'dense',
  batchnorm1d: 'batchNorm',
  batchnorm2d: 'batchNorm',
  adaptiveavgpool2d: 'globalAvgPool2d',
  adaptivemaxpool2d: 'globalMaxPool2d',
  convtranspose2d: 'conv2dTranspose',
  cat: 'concatenate',
  out_channels: 'filters',
  out_features: 'units',
  kernel_size: 'kernelSize',
  stride: 'strides',
  negative_slope: 'alpha',
  eps: 'epsilon',
  lr: 'learningRate',
  p: 'rate',
  bias: 'useBias',
};

/** PyTorch arguments that runner works out from the shape of the layer's input. */
const INFERRED = new Set(['in_channels', 'in_features', 'num_features', 'normalized_shape']);

/**
 * A hint for an unknown name: a close candidate, the runner name of a
 * PyTorch name, or that the value is inferred. `name` is the suggested
 * candidate, when there is one.
 */
export function suggestName(
  word: string,
  candidates: readonly string[],
): { readonly name: string | undefined; readonly hint: string | undefined } {
  const lower = word.toLowerCase();
  if (INFERRED.has(lower)) {
    return { name: undefined, hint: `runner infers ${word} from the input shape: remove it` };
  }
  const renamed = PYTORCH_NAMES[lower];
  if (renamed !== undefined && candidates.includes(renamed)) {
    return {
      name: renamed,
      hint: `PyTorch's ${word} is "${renamed}" here`,
    };
  }
  const name = closestMatch(word, candidates);
  return { name, hint: name === undefined ? undefined : `did you mean "${name}"?` };
}
