import { describe, expect, it } from 'vitest';
import { checkSchemaPath, formatPath, parsePath } from '../../src/config/index.js';
import { closestMatch, editDistance, suggestName } from '../../src/config/did-you-mean.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXPERIMENT_SCHEMA_URL } from '../../src/config/index.js';

const schema = JSON.parse(readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8')) as Record<
  string,
  unknown
>;

describe('document paths', () => {
  it.each([
    ['train.optimizer.learningRate', ['train', 'optimizer', 'learningRate']],
    ['model.layers[2].conv2d.filters', ['model', 'layers', 2, 'conv2d', 'filters']],
    ['model.layers.2.conv2d', ['model', 'layers', 2, 'conv2d']],
    ['sweep.grid["train.epochs"]', ['sweep', 'grid', 'train.epochs']],
    ['model.input[0]', ['model', 'input', 0]],
  ])('parses %s', (text, segments) => {
    expect(parsePath(text)).toEqual(segments);
  });

  it.each(['', 'a..b', 'a[x]', 'a[1', '.a'])('refuses %j', (text) => {
    expect(parsePath(text)).toBeUndefined();
  });

  it('formats what it parses back to the same text', () => {
    for (const text of [
      'train.optimizer.learningRate',
      'model.layers[2].conv2d.filters',
      'sweep.grid["train.epochs"][1]',
    ]) {
      expect(formatPath(parsePath(text) ?? [])).toBe(text);
    }
  });
});

describe('schema paths', () => {
  it.each([
    'train.optimizer.learningRate',
    'model.layers[0].conv2d.filters',
    'model.layers[3].dense.activation',
    'model.input[1]',
    'data.limit.train',
    'sweep.grid["train.epochs"]',
    'x-anything',
  ])('accepts %s', (text) => {
    expect(checkSchemaPath(schema, parsePath(text) ?? [])).toEqual({ ok: true });
  });

  it.each([
    ['train.optimizer.learningrate', 'train.optimizer.learningRate'],
    ['optimizer.type', 'train.optimizer.type'],
    ['data.batchsize', 'data.batchSize'],
    ['model.layers[4].dense.unit', 'model.layers[4].dense.units'],
    ['train.epoch', 'train.epochs'],
    ['data.nothing.at.all', undefined],
  ])('refuses %s, suggesting %s', (text, suggestion) => {
    const result = checkSchemaPath(schema, parsePath(text) ?? []);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.suggestion).toBe(suggestion);
  });
});

describe('did you mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('dnese', 'dense')).toBe(1);
    expect(editDistance('filter', 'filters')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
  });

  it('suggests only close names, ignoring case', () => {
    expect(closestMatch('dnse', ['dense', 'dropout', 'flatten'])).toBe('dense');
    expect(closestMatch('Dense', ['dense', 'dropout'])).toBe('dense');
    expect(closestMatch('convolution', ['dense', 'flatten'])).toBeUndefined();
    expect(closestMatch('x', ['y', 'z'])).toBeUndefined();
    expect(closestMatch('dim', ['dims'])).toBe('dims');
  });

  it('takes the closest candidate, not the first close one', () => {
    // maxPool1d is within the limit (2 edits), maxPool closer (case only).
    expect(closestMatch('maxpool', ['maxPool1d', 'maxPool'])).toBe('maxPool');
    expect(closestMatch('concatenat', ['concat', 'concatenate'])).toBe('concatenate');
  });

  it('breaks a tie by candidate order', () => {
    expect(closestMatch('relu6', ['relu', 'elu6'])).toBe('relu');
    expect(closestMatch('relu6', ['elu6', 'relu'])).toBe('elu6');
  });

  it('allows a third of the word in edits: 1 up to 5 letters, 2 up to 8, at most 3', () => {
    expect(closestMatch('unit', ['units'])).toBe('units');
    expect(closestMatch('unt', ['units'])).toBeUndefined(); // 2 edits, 3 letters
    expect(closestMatch('fltten', ['flatten'])).toBe('flatten');
    expect(closestMatch('fltn', ['flatten'])).toBeUndefined(); // 3 edits, 4 letters
    expect(closestMatch('kernlsze', ['kernelSize'])).toBe('kernelSize'); // 2 edits, 8 letters
    expect(closestMatch('krnlsze', ['kernelSize'])).toBeUndefined(); // 3 edits, 7 letters
    expect(closestMatch('learningrte', ['learningRate'])).toBe('learningRate');
    expect(closestMatch('lrnngrt', ['learningRate'])).toBeUndefined();
    expect(closestMatch('valdationsplt', ['validationSplit'])).toBe('validationSplit'); // 2 of 13
    expect(closestMatch('vldtnsplt', ['validationSplit'])).toBeUndefined(); // 6 edits: over 3
  });

  it('never suggests the word itself, nor a rewrite of every letter', () => {
    expect(closestMatch('dense', ['dense'])).toBeUndefined();
    expect(closestMatch('ab', ['cd'])).toBeUndefined();
  });

  it('knows the PyTorch names of runner layers and arguments', () => {
    expect(suggestName('Linear', ['dense', 'flatten'])).toEqual({
      name: 'dense',
      hint: 'PyTorch\'s Linear is "dense" here',
    });
    expect(suggestName('in_features', ['units'])).toEqual({
      name: undefined,
      hint: 'runner infers in_features from the input shape: remove it',
    });
    expect(suggestName('lr', ['type'])).toEqual({ name: undefined, hint: undefined });
  });
});
