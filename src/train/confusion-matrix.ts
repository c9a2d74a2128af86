/** Precision, recall and F1 of one class, with its support (true examples). */
export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** Counts by (true class, predicted class), and the scores derived from them. */
export interface ConfusionMatrix {
  /** `counts[t][p]`: examples of true class t predicted as p. Sums to the example count. */
  readonly counts: readonly (readonly number[])[];
  readonly perClass: readonly ClassScores[];
  /** Unweighted mean of the per-class F1 over classes with support. */
  readonly macroF1: number;
}

/** An empty numClasses x numClasses matrix to accumulate batches into. */
export function emptyCounts(numClasses: number): number[][] {
  return Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
}

/** Adds a batch of (true, predicted) class pairs to `counts`. */
export function addToCounts(
  counts: number[][],
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
): void {
  for (let i = 0; i < truth.length; i++) counts[truth[i]!]![predicted[i]!]! += 1;
}

/**
 * Per-class scores from the counts. A class never predicted has precision 0
 * (no prediction was right), a class without examples recall 0; F1 is 0 when
 * both are 0. Classes without support are left out of the macro mean.
 *
 * @example scoreConfusion([[2, 1], [0, 3]]).perClass[0] // { precision: 1, recall: 0.667, f1: 0.8, support: 3 }
 */
export function scoreConfusion(counts: readonly (readonly number[])[]): ConfusionMatrix {
  const n = counts.length;
  const perClass: ClassScores[] = [];
  for (let c = 0; c < n; c++) {
    const hits = counts[c]![c]!;
    let support = 0;
    let predicted = 0;
    for (let k = 0; k < n; k++) {
      support += counts[c]![k]!;
      predicted += counts[k]![c]!;
    }
    const precision = predicted > 0 ? hits / predicted : 0;
    const recall = support > 0 ? hits / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ precision, recall, f1, support });
  }
  const supported = perClass.filter((s) => s.support > 0);
  const macroF1 =
    supported.length > 0 ? supported.reduce((sum, s) => sum + s.f1, 0) / supported.length : 0;
  return { counts, perClass, macroF1 };
}
