import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES, isDiagnosticCode, loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { diagnosticsOf, FIXTURES, REPO } from './config-test-kit.js';

/** Every .ts file under src/. */
function sourceFiles(dir = path.join(REPO, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * The codes the source emits: a kebab-case literal after `code:`, or as the
 * code argument of the reporters (`report(at, 'code', ...)`,
 * `diagnosticAt(map, path, 'code', ...)`, `problem('code', ...)`,
 * `this.diagnostic(path, 'code', ...)`).
 */
function emittedCodes(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\bcode:\s*'([a-z]+(?:-[a-z]+)+)'/g,
    /\b(?:report|problem)\(\s*(?:(?:\[[^\]]*\]|[^,()'[]+(?:\([^()]*\))?),\s*)?'([a-z]+(?:-[a-z]+)+)'/g,
    /\b(?:diagnosticAt|this\.diagnostic)\(\s*(?:(?:\[[^\]]*\]|[^,'[]+),\s*){1,2}'([a-z]+(?:-[a-z]+)+)'/g,
  ];
  for (const file of sourceFiles()) {
    if (file.endsWith(path.join('config', 'diagnostic-codes.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const code = match[1];
        if (code !== undefined) found.set(code, path.relative(REPO, file));
      }
    }
  }
  return found;
}

describe('the diagnostic catalogue', () => {
  const emitted = emittedCodes();

  it('finds the codes the source emits (the scan itself works)', () => {
    for (const code of ['yaml-syntax', 'unknown-layer', 'optimizer-option', 'bad-input-rank'])
      expect([...emitted.keys()]).toContain(code);
  });

  it('has every code the source emits', () => {
    const missing = [...emitted].filter(([code]) => !isDiagnosticCode(code));
    expect(missing).toEqual([]);
  });

  it('has no code that nothing emits', () => {
    const unused = Object.keys(DIAGNOSTIC_CODES).filter((code) => !emitted.has(code));
    expect(unused).toEqual([]);
  });

  it.each(Object.entries(DIAGNOSTIC_CODES))('%s has a summary and a hint', (_code, entry) => {
    expect(entry.summary.length).toBeGreaterThan(5);
    expect(entry.hint.length).toBeGreaterThan(5);
  });

  it('has every code a bad fixture produces', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'));
    const codes = new Set<string>();
    for (const file of files) {
      const diagnostics = await diagnosticsOf(
        loadExperiment(file, { registries: REGISTRIES, cwd: FIXTURES }),
      );
      for (const d of diagnostics) codes.add(d.code);
    }
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((code) => !isDiagnosticCode(code))).toEqual([]);
  });
});
