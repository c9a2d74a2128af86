/**
 * What was learnt from the training split of a CSV table, recorded with the
 * run and applied unchanged to the test split, to `runner eval` and to
 * `runner predict`: plain JSON.
 */
export interface TablePreprocessing {
  readonly target: TargetEncoding;
  /** The feature columns in input order; their encodings fill the input vector left to right. */
  readonly columns: readonly ColumnEncoding[];
  /** The width of the input vector: numeric columns 1 each, categorical ones a slot per category. */
  readonly width: number;
}

export type TargetEncoding =
  | { readonly name: string; readonly kind: 'class'; readonly classes: readonly string[] }
  | { readonly name: string; readonly kind: 'value' };

export type ColumnEncoding =
  | {
      readonly name: string;
      readonly kind: 'numeric';
      /** (x - mean) / std; mean 0 and std 1 when data.standardize is false. */
      readonly mean: number;
      readonly std: number;
      /** The training mean, put in for a missing cell when data.missing is `impute`. */
      readonly fill: number;
    }
  | {
      readonly name: string;
      readonly kind: 'categorical';
      /** One-hot slots, sorted; a category the training split lacks is an error. */
      readonly categories: readonly string[];
      /** The most frequent training category, for a missing cell with `impute`. */
      readonly fill: string;
    };

/** What to do with an empty cell. */
export type MissingPolicy = 'error' | 'drop' | 'impute';
