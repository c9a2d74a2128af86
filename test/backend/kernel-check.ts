import * as tf from '../../src/tf.js';
import type { DataType, NamedAttrMap, Tensor } from '../../src/tf.js';
import { expect } from 'vitest';
import { selectBackend } from '../../src/backend/index.js';

/** Helpers for checking the runner's wasm kernels against the cpu backend's reference. */

/** A small deterministic generator so that failures reproduce. */
export function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

export function pick<T>(random: () => number, choices: readonly T[]): T {
  const choice = choices[Math.floor(random() * choices.length)];
  if (choice === undefined) throw new Error('pick from an empty list');
  return choice;
}

/** Uniform values in [-1, 1); with `zeros`, that share of them is exactly 0 (ties, as after a ReLU). */
export function randomValues(random: () => number, size: number, zeros = 0): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = random() < zeros ? 0 : random() * 2 - 1;
  return values;
}

export interface KernelInput {
  readonly values: Float32Array | Int32Array;
  readonly shape: readonly number[];
  readonly dtype?: DataType;
}

export type CheckedBackend = 'cpu' | 'wasm';

/** Activates `name`: wasm through selectBackend, so with the runner's kernels. */
export async function useBackend(name: CheckedBackend): Promise<void> {
  await selectBackend(name);
}

/**
 * Runs one kernel on `backendName` and returns its output values, checking
 * that it leaves no tensor and no backend buffer behind.
 */
export async function runKernelOn(
  backendName: CheckedBackend,
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: NamedAttrMap,
): Promise<{ values: Float32Array | Int32Array | Uint8Array; shape: number[] }> {
  await useBackend(backendName);
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.backend().numDataIds();
  const tensors: Record<string, Tensor> = {};
  for (const [name, input] of Object.entries(inputs)) {
    tensors[name] = tf.tensor(input.values, [...input.shape], input.dtype ?? 'float32');
  }
  const out = tf.engine().runKernel(kernelName, tensors, attrs) as Tensor;
  const values = (await out.data()) as Float32Array | Int32Array | Uint8Array;
  const shape = out.shape;
  out.dispose();
  for (const t of Object.values(tensors)) t.dispose();
  expect(tf.memory().numTensors, `${kernelName} on ${backendName} leaked tensors`).toBe(
    tensorsBefore,
  );
  expect(tf.backend().numDataIds(), `${kernelName} on ${backendName} leaked backend data`).toBe(
    dataIdsBefore,
  );
  return { values, shape };
}

/**
 * Largest |actual - expected| relative to the largest finite |expected| (at
 * least 1). Equal values (infinities included) count as 0; a NaN or an
 * infinity on one side only as Infinity.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? 0;
    if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
  }
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] ?? 0;
    const e = expected[i] ?? 0;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!Number.isFinite(a) || !Number.isFinite(e)) return Infinity;
    worst = Math.max(worst, Math.abs(a - e));
  }
  return worst / scale;
}

/** Runs the kernel on cpu and on wasm and expects the same shape and values within `tolerance`. */
export async function expectWasmMatchesCpu(
  label: string,
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: NamedAttrMap,
  tolerance: number,
): Promise<void> {
  const reference = await runKernelOn('cpu', kernelName, inputs, attrs);
  const ours = await runKernelOn('wasm', kernelName, inputs, attrs);
  expect(ours.shape, `${label}: shape`).toEqual(reference.shape);
  expect(
    relativeError(ours.values, reference.values),
    `${label}: relative error`,
  ).toBeLessThanOrEqual(tolerance);
}
