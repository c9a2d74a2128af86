import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCsvTable, type CsvTableOptions } from '../../src/data/csv/load-csv-table.js';

const base: CsvTableOptions = {
  key: 'train',
  target: 'label',
  features: undefined,
  task: 'classification',
  missing: 'error',
  standardize: true,
  preprocessing: undefined,
  requireTarget: true,
};

describe('loadCsvTable', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    dir ??= mkdtempSync(join(tmpdir(), 'runner-csv-'));
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('standardises numbers with the training mean and std, one-hot encodes strings, and applies both to test', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runner-csv-'));
    const train = file('train.csv', 'size,colour,label\n1,red,b\n3,blue,a\n"5",red,b\n');
    const loaded = await loadCsvTable(train, base);
    expect(loaded.preprocessing.columns).toEqual([
      { name: 'size', kind: 'numeric', mean: 3, std: Math.sqrt(8 / 3), fill: 3 },
      { name: 'colour', kind: 'categorical', categories: ['blue', 'red'], fill: 'red' },
    ]);
    expect(loaded.preprocessing.target).toEqual({
      name: 'label',
      kind: 'class',
      classes: ['a', 'b'],
    });
    expect(loaded.width).toBe(3);
    const s = Math.sqrt(8 / 3);
    expect(Array.from(loaded.features)).toEqual(
      [-2 / s, 0, 1, 0, 1, 0, 2 / s, 0, 1].map((v) => Math.fround(v)),
    );
    expect(Array.from(loaded.labels!)).toEqual([1, 0, 1]);
    const test = file('test.csv', 'label,colour,size\na,blue,3\n');
    const encoded = await loadCsvTable(test, {
      ...base,
      key: 'test',
      preprocessing: loaded.preprocessing,
    });
    expect(Array.from(encoded.features)).toEqual([0, 1, 0]);
    const unseen = file('unseen.csv', 'size,colour,label\n3,green,a\n');
    await expect(
      loadCsvTable(unseen, { ...base, key: 'test', preprocessing: loaded.preprocessing }),
    ).rejects.toThrow(
      /unseen\.csv:2: column "colour" holds "green", a category the training split does not have/,
    );
    const newClass = file('newclass.csv', 'size,colour,label\n3,red,c\n');
    await expect(
      loadCsvTable(newClass, { ...base, key: 'test', preprocessing: loaded.preprocessing }),
    ).rejects.toThrow(/newclass\.csv:2: column "label" .* class "c"/);
  });

  it('learns the statistics and categories without the rows a validation split holds out', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runner-csv-'));
    // 8 rows, limit 6, split 0.5: rows 1-3 train, 4-6 are val, 7-8 unused.
    const rows = [1, 2, 3, 40, 50, 60, 700, 800].map(
      (x, i) => `${x},${i < 3 ? 'red' : 'blue'},${'ab'[i % 2]}`,
    );
    const path = file('s.csv', ['size,colour,label', ...rows].join('\n') + '\n');
    const loaded = await loadCsvTable(path, { ...base, holdOut: { limit: 6, fraction: 0.5 } });
    expect(loaded.count).toBe(8);
    expect(loaded.preprocessing.columns[0]).toMatchObject({ mean: 2, std: Math.sqrt(2 / 3) });
    // Categories of every row: a held-out row's category must still encode.
    expect(loaded.preprocessing.columns[1]).toMatchObject({ categories: ['blue', 'red'] });
  }, 10_000);

  it('names the line and column of a missing value, or drops or imputes it as data.missing says', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runner-csv-'));
    const path = file('m.csv', 'x,y,label\n1,2,a\n3,,b\n5,6,b\n');
    await expect(loadCsvTable(path, base)).rejects.toThrow(
      /m\.csv:3: column "y" is empty \(a missing value\)/,
    );
    const dropped = await loadCsvTable(path, { ...base, missing: 'drop', standardize: false });
    expect(dropped.count).toBe(2);
    expect(dropped.lines).toEqual([2, 4]);
    expect(dropped.notices[0]).toMatch(/dropped 1 of 3 rows/);
    const imputed = await loadCsvTable(path, { ...base, missing: 'impute', standardize: false });
    expect(Array.from(imputed.features)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses a file without a header or without rows, a ragged row, an unknown target and a non-numeric regression target', async () => {
    dir = mkdtempSync(join(tmpdir(), 'runner-csv-'));
    await expect(loadCsvTable(file('h.csv', 'x,label\n'), base)).rejects.toThrow(
      /h\.csv: a header row and no data rows$/,
    );
    await expect(loadCsvTable(file('n.csv', '1,2,3\n4,5,6\n'), base)).rejects.toThrow(
      /n\.csv:1: the first row is numbers, not a header/,
    );
    await expect(loadCsvTable(file('r.csv', 'x,label\n1,a\n2\n'), base)).rejects.toThrow(
      /r\.csv:3: not valid CSV: .*line 3/,
    );
    await expect(loadCsvTable(file('t.csv', 'x,Label\n1,a\n'), base)).rejects.toThrow(
      /t\.csv:1: no column "label" \(data\.target\) in the header \(did you mean "Label"\?\)/,
    );
    await expect(
      loadCsvTable(file('g.csv', 'x,label\n1,2.5\n2,big\n'), { ...base, task: 'regression' }),
    ).rejects.toThrow(/column "label" \(data\.target\) holds "big", not a number/);
    const values = await loadCsvTable(file('v.csv', 'x,label\n1,2.5\n2,-1e1\n'), {
      ...base,
      task: 'regression',
    });
    expect(Array.from(values.targets!)).toEqual([2.5, -10]);
    expect(values.labels).toBeUndefined();
  });
});
