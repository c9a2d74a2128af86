import { formatMetric } from '../format/index.js';
import type { ConfusionMatrix } from '../train/index.js';

/** Classes beyond this many: the matrix is left to --json (it would not fit a terminal). */
const MAX_MATRIX_CLASSES = 20;

/**
 * A confusion matrix as terminal lines: the counts (rows the true class,
 * columns the predicted one), then precision, recall, F1 and support per
 * class and the macro F1.
 *
 * @example
 * for (const line of confusionLines(['cat', 'dog'], scoreConfusion([[9, 1], [2, 8]]))) out.line(line);
 */
export function confusionLines(
  classes: readonly string[],
  matrix: ConfusionMatrix,
  indent = '  ',
): string[] {
  const names = matrix.counts.map((_, i) => classes[i] ?? String(i));
  const total = matrix.counts.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  const lines: string[] = [];
  if (names.length <= MAX_MATRIX_CLASSES) {
    lines.push(
      `${indent}confusion matrix: ${total.toLocaleString('en-US')} examples; rows the true class, columns the predicted`,
    );
    const first = Math.max(...names.map((n) => n.length), 4);
    const cell = Math.max(
      ...names.map((n) => n.length),
      ...matrix.counts.flat().map((c) => c.toLocaleString('en-US').length),
    );
    lines.push(`${indent}  ${''.padEnd(first)}  ${names.map((n) => n.padStart(cell)).join('  ')}`);
    matrix.counts.forEach((row, t) => {
      const cells = row.map((c) => c.toLocaleString('en-US').padStart(cell));
      lines.push(`${indent}  ${names[t]!.padEnd(first)}  ${cells.join('  ')}`);
    });
  } else {
    lines.push(
      `${indent}confusion matrix: ${total.toLocaleString('en-US')} examples, ${names.length} classes (the counts are in --json)`,
    );
  }
  const width = Math.max(...names.map((n) => n.length), 'class'.length);
  lines.push(`${indent}  ${'class'.padEnd(width)}  precision     recall         f1   support`);
  matrix.perClass.forEach((s, c) => {
    lines.push(
      `${indent}  ${names[c]!.padEnd(width)}  ${[s.precision, s.recall, s.f1].map((v) => formatMetric(v).padStart(9)).join('  ')}  ${s.support.toLocaleString('en-US').padStart(8)}`,
    );
  });
  lines.push(`${indent}  macro F1 ${formatMetric(matrix.macroF1)}`);
  return lines;
}
