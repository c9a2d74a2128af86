import { createRequire } from 'node:module';
import * as tf from '../../src/tf.js';
import { describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';
import { WASM_TRAINING_KERNELS } from '../../src/backend/kernels/index.js';
import { BackendError, formatError } from '../../src/errors.js';

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

const hasTfjsNode = tfjsNodeInstalled();

describe('selectBackend', () => {
  // First in the file: vitest gives each file a fresh tfjs, whose cpu backend
  // prints its banner on the first tensor it stores unless silenced.
  it('keeps tfjs from printing its "running in Node.js" banner', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await selectBackend('cpu');
      tf.tensor([1, 2, 3]).dispose();
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('runs the cpu backend when asked for it', async () => {
    const info = await selectBackend('cpu');
    expect(info).toMatchObject({
      name: 'cpu',
      kernels: 'cpu (pure JavaScript)',
      tfjsVersion: tf.version_core,
    });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('runs wasm with the runner training kernels registered', async () => {
    const info = await selectBackend('wasm');
    expect(info.name).toBe('wasm');
    // The SIMD loops loaded (Node 22's V8 has WebAssembly SIMD), and the record says so.
    expect(info.kernels).toBe(
      `wasm + runner training kernels (${WASM_TRAINING_KERNELS.length}), SIMD loops`,
    );
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.tidy(() => tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])).arraySync())).toEqual([4, 6]);
  });

  it('returns the same answer twice and re-activates its backend', async () => {
    const first = await selectBackend('wasm');
    await tf.setBackend('cpu');
    const second = await selectBackend('wasm');
    expect(second).toBe(first);
    expect(tf.getBackend()).toBe('wasm');
  });

  it.skipIf(hasTfjsNode)('picks wasm on auto without tfjs-node, and says why', async () => {
    const info = await selectBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/^auto: tfjs-node is not installed; so wasm$/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it.skipIf(!hasTfjsNode)('picks tfjs-node on auto when it is installed', async () => {
    const info = await selectBackend('auto');
    expect(info.name).toBe('tfjs-node');
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it.skipIf(hasTfjsNode)('fails with a hint when tfjs-node is asked for and missing', async () => {
    const error: unknown = await selectBackend('tfjs-node').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendError);
    const message = formatError(error as BackendError);
    expect(message).toMatch(
      /^error: backend tfjs-node was asked for, but tfjs-node is not installed\n {2}hint: npm install @tensorflow\/tfjs-node /,
    );
    expect(message).toContain('TFJS_NODE_CDN_STORAGE');
    // The backend in use is left alone.
    expect(tf.getBackend()).toBe('wasm');
  });
});
