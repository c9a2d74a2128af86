import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadImageFolder,
  type ImageFolderOptions,
} from '../../src/data/image-folder/load-image-folder.js';
import { classPicture, writeImage, writeImageFolder } from './image-fixtures.js';

const base: ImageFolderOptions = {
  key: 'train',
  size: undefined,
  channels: undefined,
  skipBadFiles: false,
  classes: undefined,
  cacheDir: undefined,
};

describe('loadImageFolder', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const temp = (): string => (dir = mkdtempSync(join(tmpdir(), 'runner-images-')));

  it('decodes PNG pixels exactly, sorts the classes and labels each image by its folder', async () => {
    const root = join(temp(), 'train');
    const shape = [6, 5, 1] as const;
    const pictures = new Map<string, Uint8Array>();
    for (const [c, name] of ['zebra', 'ant', 'mole'].entries()) {
      for (let i = 0; i < 3; i++) {
        const pixels = classPicture(c, 3, shape, c * 10 + i);
        pictures.set(`${name}/${i}.png`, pixels);
        await writeImage(join(root, name, `${i}.png`), pixels, shape);
      }
    }
    const loaded = await loadImageFolder(root, base);
    expect(loaded.classes).toEqual(['ant', 'mole', 'zebra']);
    expect(loaded.split).toMatchObject({ count: 9, height: 6, width: 5, channels: 1 });
    loaded.files.forEach((file, i) => {
      const className = file.split('/')[0]!;
      expect(loaded.split.labels[i]).toBe(loaded.classes.indexOf(className));
      expect(Array.from(loaded.split.images.subarray(i * 30, (i + 1) * 30))).toEqual(
        Array.from(pictures.get(file)!),
      );
    });
  });

  it('converts grey to RGB and resizes JPEGs of mixed sizes when image.size is given', async () => {
    const root = join(temp(), 'train');
    await writeImage(join(root, 'a', '1.jpg'), new Uint8Array(8 * 8).fill(128), [8, 8, 1], 'jpeg');
    await writeImage(join(root, 'b', '1.png'), new Uint8Array(4 * 6 * 3).fill(50), [4, 6, 3]);
    const loaded = await loadImageFolder(root, { ...base, size: [5, 5], channels: 3 });
    expect(loaded.split).toMatchObject({ count: 2, height: 5, width: 5, channels: 3 });
    const grey = loaded.split.images.subarray(loaded.files.indexOf('a/1.jpg') * 75).subarray(0, 75);
    expect(Math.abs(grey[0]! - 128)).toBeLessThanOrEqual(2);
    expect(grey[0]).toBe(grey[1]);
  });

  it('names a corrupt file, a mixed size, an empty class and an unknown test class', async () => {
    const root = join(temp(), 'train');
    await writeImageFolder(root, ['a', 'b'], 2, [4, 4, 1]);
    writeFileSync(join(root, 'a', 'broken.png'), 'not a png at all');
    await expect(loadImageFolder(root, base)).rejects.toThrow(
      /a\/broken\.png: .*\(in data\.train\.dir; nothing trained\)/,
    );
    rmSync(join(root, 'a', 'broken.png'));
    await writeImage(join(root, 'b', 'big.png'), new Uint8Array(36), [6, 6, 1]);
    await expect(loadImageFolder(root, base)).rejects.toThrow(
      /b\/big\.png: the image is 6x6 .* but a\/000\.png is 4x4; set data\.image\.size/,
    );
    const skipped = await loadImageFolder(root, { ...base, skipBadFiles: true });
    expect(skipped.split.count).toBe(4);
    expect(skipped.skipped).toHaveLength(1);
    rmSync(join(root, 'b', 'big.png'));
    mkdirSync(join(root, 'c'));
    await expect(loadImageFolder(root, base)).rejects.toThrow(/\/c: class folder "c" has no files/);
    rmSync(join(root, 'c'), { recursive: true });
    const test = join(dir, 'test');
    await writeImageFolder(test, ['a', 'x'], 1, [4, 4, 1]);
    await expect(
      loadImageFolder(test, { ...base, key: 'test', classes: ['a', 'b'] }),
    ).rejects.toThrow(/test\/x: class "x" is in the test folder but not in the training folder/);
  });

  it('reads the second load from the cache, and decodes a changed file again', async () => {
    const root = join(temp(), 'train');
    const cacheDir = join(dir, 'cache');
    await writeImageFolder(root, ['a', 'b'], 3, [4, 4, 3]);
    const first = await loadImageFolder(root, { ...base, cacheDir });
    expect(first.fromCache).toBe(false);
    const second = await loadImageFolder(root, { ...base, cacheDir });
    expect(second.fromCache).toBe(true);
    expect(second.split).toEqual(first.split);
    expect(second.files).toEqual(first.files);
    const changed = join(root, 'a', '000.png');
    await writeImage(changed, new Uint8Array(48).fill(7), [4, 4, 3]);
    utimesSync(changed, new Date(), new Date(Date.now() + 5000));
    const third = await loadImageFolder(root, { ...base, cacheDir });
    expect(third.fromCache).toBe(false);
    const at = third.files.indexOf('a/000.png');
    expect(third.split.images[at * 48]).toBe(7);
  });
});
