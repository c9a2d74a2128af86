import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { ConfigError } from '../../src/errors.js';
import { errorLinesOf, REPO } from './config-test-kit.js';
import { useTempDir } from '../test-kit.js';

/** A small seeded generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '',
  'null',
  '[]',
  '{}',
  '-1',
  '0',
  'abc',
  '[1, 2]',
  '{a: 1}',
  'true',
  '.inf',
  '*a',
  '&a x',
  '[stem, stem]',
  '[nope]',
  'add',
  ':',
  '- x',
];
const SOURCES = ['lenet', 'resnet', 'inception', 'quick-random'].map((name) =>
  readFileSync(path.join(REPO, 'configs', `${name}.yaml`), 'utf8'),
);

/** 1-3 edits of a real config: drop, repeat or retype a line, break a key, delete a character. */
function mutate(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const lines = pick(SOURCES).split('\n');
  for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
    const at = Math.floor(next() * lines.length);
    const line = lines[at] ?? '';
    switch (Math.floor(next() * 5)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, line);
        break;
      case 2:
        lines[at] = line.replace(/: .*$/, `: ${pick(TOKENS)}`);
        break;
      case 3: {
        const col = Math.floor(next() * line.length);
        lines[at] = line.slice(0, col) + line.slice(col + 1);
        break;
      }
      default:
        lines[at] = line.replace(/\b(\w+):/, `${pick(TOKENS)}:`);
    }
  }
  return lines.join('\n');
}

describe('damaged configs', () => {
  const { write, dir } = useTempDir('config');

  it('always give an experiment or located diagnostics, never a crash', async () => {
    const next = random(2026);
    for (let i = 0; i < 150; i++) {
      const text = mutate(next);
      write('damaged.yaml', text);
      try {
        await loadExperiment('damaged.yaml', { registries: REGISTRIES, cwd: dir() });
      } catch (error) {
        if (!(error instanceof ConfigError))
          throw new Error(`case ${i} crashed:\n${text}`, { cause: error });
        expect(error.diagnostics.length, text).toBeGreaterThan(0);
        for (const d of error.diagnostics) {
          if (d.code !== 'too-many-errors')
            expect(d.loc, `${d.code} ${d.path} in\n${text}`).toBeDefined();
        }
      }
    }
  });
});

describe('configs that would never finish', () => {
  const { write, dir } = useTempDir();

  it('refuses a YAML alias bomb in well under a second, at the alias that expands too far', async () => {
    // Nine levels of nine aliases each: 841 bytes that expand to 9^9 (387 million) values.
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${new Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    write('bomb.yaml', `${levels.join('\n')}\nname: bomb\n`);
    const started = performance.now();
    const lines = await errorLinesOf(
      loadExperiment('bomb.yaml', { registries: REGISTRIES, cwd: dir() }),
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^bomb\.yaml:\d+:\d+ error yaml-syntax: [a-i](\[\d+\])+: \*[a-h] makes the document expand to more than 20,000 values \(aliases inside aliases\) \(an experiment is a few hundred values; repeat fewer aliases, or write the values out\)$/,
    );
  });
});
