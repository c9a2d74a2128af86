/** One view, built once, printed as a table for people and as CSV or JSON for tools. */
import { describe, expect, it } from 'vitest';
import { createRenderer, renderView, type View } from '../../src/cli/render.js';
import { capture } from './cli-host.js';

interface Row {
  readonly id: number;
  readonly started: string;
  readonly durationS: number;
  readonly params: Readonly<Record<string, number | undefined>>;
  readonly accuracy: number | null;
}

const view: View<Row> = {
  records: [
    {
      id: 12,
      started: '2026-11-28T00:41:05.000Z',
      durationS: 187,
      params: { lr: 0.001 },
      accuracy: 0.97123,
    },
    { id: 3, started: '2026-11-27T10:00:00.000Z', durationS: 0.8, params: {}, accuracy: null },
  ],
  columns: [
    { key: 'id', kind: 'id' },
    { key: 'started', kind: 'time' },
    { key: 'duration', kind: 'duration', value: (r) => r.durationS },
    { key: 'train.lr', title: 'lr', kind: 'param', value: (r) => r.params['lr'] },
    { key: 'test/accuracy', kind: 'metric', value: (r) => r.accuracy },
  ],
};

describe('renderView', () => {
  it('formats each kind of value for people in a table, numbers right-aligned', () => {
    const lines = renderView(view, 'table').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+started\s+duration\s+lr\s+test\/accuracy$/);
    expect(lines[1]).toMatch(/^12\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+3m 07s\s+0\.001\s+0\.9712$/);
    expect(lines[2]).toMatch(/^ 3\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+0\.8s\s+—\s+—$/);
  });

  it('keeps raw values in CSV: ISO time, seconds, full numbers, empty for none', () => {
    expect(renderView(view, 'csv')).toBe(
      'id,started,duration,train.lr,test/accuracy\n' +
        '12,2026-11-28T00:41:05.000Z,187,0.001,0.97123\n' +
        '3,2026-11-27T10:00:00.000Z,0.8,,\n',
    );
  });

  it('prints the records themselves as JSON, or what the view says JSON is', () => {
    expect(JSON.parse(renderView(view, 'json'))).toEqual(view.records);
    expect(JSON.parse(renderView({ ...view, json: { runs: 2 } }, 'json'))).toEqual({ runs: 2 });
  });

  it('says an empty table on stderr instead of printing a bare header', () => {
    const stdout = capture();
    const stderr = capture();
    const out = createRenderer({ stdout, stderr });
    out.view({ ...view, records: [], empty: 'no runs in x.db' }, 'table');
    out.view({ ...view, records: [], empty: 'no runs in x.db' }, 'json');
    expect(stderr.text()).toBe('no runs in x.db\n');
    expect(stdout.text()).toBe('[]\n');
  });
});
