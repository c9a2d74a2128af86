import * as tf from '../../src/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchIndices,
  createBatchArrays,
  createBatches,
  epochOrder,
  type ImageSplit,
} from '../../src/data/index.js';

/** 10 images of 2x2x1, image i filled with the value 10*i, label i % 3. */
function tinySplit(count = 10): ImageSplit {
  const images = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) images.fill(10 * i, i * 4, (i + 1) * 4);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
  return { images, labels, count, height: 2, width: 2, channels: 1 };
}

const base = { batchSize: 4, shuffle: false, seed: 7, epoch: 0, normalize: undefined } as const;

beforeAll(async () => {
  // IS_TEST silences tfjs's "install tfjs-node" banner (no stray output in tests).
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

describe('batch order', () => {
  it('keeps file order without shuffle and keeps the last partial batch', () => {
    const batches = [...batchIndices(10, base)].map((b) => [...b]);
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('visits every example once per epoch, in an order fixed by seed and epoch', () => {
    const options = { ...base, shuffle: true };
    const order = [...epochOrder(1000, options)];
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(order).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...epochOrder(1000, options)]).toEqual(order);
    expect([...epochOrder(1000, { ...options, epoch: 1 })]).not.toEqual(order);
    expect([...epochOrder(1000, { ...options, seed: 8 })]).not.toEqual(order);
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => [...batchIndices(10, { ...base, batchSize: 0 })]).toThrow(
      'data.batchSize: expected a positive integer, found 0',
    );
  });
});

describe('batch contents', () => {
  it('scales pixels to [0, 1] and pairs each image with its label', () => {
    const split = tinySplit();
    const batches = [...createBatchArrays(split, { ...base, shuffle: true })];
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches.map((b) => b.index)).toEqual([0, 1, 2]);
    for (const batch of batches) {
      for (let b = 0; b < batch.size; b++) {
        const example = Math.round((batch.xs[b * 4]! * 255) / 10);
        expect(batch.labels[b]).toBe(example % 3);
        expect([...batch.xs.subarray(b * 4, b * 4 + 4)]).toEqual(
          new Array(4).fill(Math.fround((10 * example) / 255)),
        );
      }
    }
  });

  it('normalizes like torchvision Normalize((mean,), (std,)) after scaling', () => {
    const split = tinySplit(2);
    const [batch] = [
      ...createBatchArrays(split, { ...base, normalize: { mean: 0.1307, std: 0.3081 } }),
    ];
    expect(batch!.xs[0]).toBeCloseTo((0 - 0.1307) / 0.3081, 6);
    expect(batch!.xs[4]).toBeCloseTo((10 / 255 - 0.1307) / 0.3081, 6);
  });

  it('rejects a std that is not positive', () => {
    expect(() => [
      ...createBatchArrays(tinySplit(), { ...base, normalize: { mean: 0, std: 0 } }),
    ]).toThrow('data.normalize.std: expected a positive number, found 0');
  });

  it('gives tensors: float32 NHWC images and int32 labels, the last batch with its real size', () => {
    const split = {
      ...tinySplit(10),
      images: new Uint8Array(10 * 12),
      height: 2,
      width: 3,
      channels: 2,
    };
    const before = tf.memory().numTensors;
    const shapes: number[][] = [];
    for (const batch of createBatches(split, base)) {
      expect(batch.xs.dtype).toBe('float32');
      expect(batch.labels.dtype).toBe('int32');
      expect(batch.labels.shape).toEqual([batch.size]);
      shapes.push(batch.xs.shape);
      batch.xs.dispose();
      batch.labels.dispose();
    }
    expect(shapes).toEqual([
      [4, 2, 3, 2],
      [4, 2, 3, 2],
      [2, 2, 3, 2],
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('labels of a batch are the labels of its images', () => {
    const split = tinySplit();
    const [batch] = [...createBatches(split, { ...base, batchSize: 10, shuffle: true })];
    const xs = batch!.xs.dataSync();
    const labels = batch!.labels.dataSync();
    for (let b = 0; b < 10; b++) expect(labels[b]).toBe(Math.round((xs[b * 4]! * 255) / 10) % 3);
    tf.dispose([batch!.xs, batch!.labels]);
  });
});
