import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DatasetError, InternalError } from '../../errors.js';
import type { DatasetContext, DatasetDefinition, DatasetSplits, TestSplit } from '../dataset.js';
import { loadImageFolder, type ImageFolderSplit } from '../image-folder/load-image-folder.js';
import { countImageFiles } from '../measure-data.js';

/** `data.*` of the images dataset, as the schema checked them. */
interface ImagesOptions {
  readonly train: string;
  readonly test: string | undefined;
  readonly size: readonly [number, number] | undefined;
  readonly channels: 1 | 3 | 4 | undefined;
  readonly cache: boolean;
  readonly skipBadFiles: boolean;
}

function imagesOptions(context: DatasetContext): ImagesOptions {
  const raw = context.spec.options;
  const dir = (key: 'train' | 'test'): string | undefined => {
    const value = raw[key] as { dir?: unknown } | undefined;
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || typeof value.dir !== 'string') {
      throw new DatasetError(`data.${key}: expected {dir: FOLDER}, found ${JSON.stringify(value)}`);
    }
    return resolve(context.cwd, value.dir);
  };
  const train = dir('train');
  if (train === undefined) {
    throw new DatasetError('data.train: the images dataset needs data.train.dir', {
      hint: 'a folder with one subfolder of images per class',
    });
  }
  const image = (raw['image'] ?? {}) as {
    size?: [number, number];
    channels?: 1 | 3 | 4;
    cache?: boolean;
  };
  // Default from model.input ([height, width, channels]), as the config documents.
  const input = context.modelInput?.length === 3 ? context.modelInput : undefined;
  const recorded = context.recorded?.shape.length === 3 ? context.recorded.shape : undefined;
  const shape = recorded ?? input;
  return {
    train,
    test: dir('test'),
    size: image.size ?? (shape ? [shape[0]!, shape[1]!] : undefined),
    channels: image.channels ?? (shape ? (shape[2] as 1 | 3 | 4) : undefined),
    cache: image.cache ?? true,
    skipBadFiles: raw['skipBadFiles'] === true,
  };
}

/** `$XDG_CACHE_HOME/runner/image-folders`, else `~/.cache/runner/image-folders`. */
export function imageCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME;
  const base =
    xdg !== undefined && xdg !== '' && isAbsolute(xdg)
      ? xdg
      : join(env.HOME ?? homedir(), '.cache');
  return join(base, 'runner', 'image-folders');
}

function notices(name: string, loaded: ImageFolderSplit, dir: string): string[] {
  const out: string[] = [];
  if (loaded.skipped.length > 0) {
    out.push(
      `images: skipped ${loaded.skipped.length} bad file${loaded.skipped.length === 1 ? '' : 's'} in ${dir} (data.skipBadFiles), e.g. ${loaded.skipped[0]}`,
    );
  }
  if (loaded.cacheProblem !== undefined) out.push(`${name}: ${loaded.cacheProblem}`);
  return out;
}

const dirSchema = (description: string): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  required: ['dir'],
  description,
  properties: {
    dir: {
      type: 'string',
      minLength: 1,
      description: 'A folder with one subfolder per class (the folder name is the class)',
    },
  },
});

export const images: DatasetDefinition = {
  name: 'images',
  description:
    'Your own images, one folder per class (PNG, JPEG, WebP, GIF, TIFF), decoded with sharp and cached',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['train'],
    properties: {
      train: dirSchema('the training images: {dir: FOLDER} (required)'),
      test: dirSchema('the test images: {dir: FOLDER} with the same class folders (or some)'),
      image: {
        type: 'object',
        additionalProperties: false,
        description:
          'how images are decoded: size [height, width] and channels; default from model.input, else every image must have the same size',
        properties: {
          size: {
            type: 'array',
            items: { type: 'integer', minimum: 1, maximum: 4096 },
            minItems: 2,
            maxItems: 2,
            description: 'Resize every image to [height, width] (stretched, not cropped).',
          },
          channels: {
            enum: [1, 3, 4],
            description: '1 grey, 3 RGB, 4 RGBA. Default: 1 when every image is grey, else 3.',
          },
          cache: {
            type: 'boolean',
            default: true,
            description:
              'Keep the decoded pixels on disk (keyed by file paths, sizes and times) so the next load is fast.',
          },
        },
      },
      skipBadFiles: {
        type: 'boolean',
        description:
          'Skip unreadable, non-image and odd-size files (announced with their count) instead of refusing to train. Default false.',
      },
    },
  },
  // Only for this dataset: a schema default would put it in every config's data.
  configDefaults: { skipBadFiles: false },
  checkConfig: ({ data }) => [
    ...(data['test'] === undefined && data['validationSplit'] === 0
      ? [
          {
            path: ['data'],
            code: 'missing-key' as const,
            message: 'dataset images without data.test has nothing to evaluate on',
            hint: 'give data.test: {dir: FOLDER}, or set data.validationSplit, e.g. 0.1',
          },
        ]
      : []),
  ],
  async load(context: DatasetContext): Promise<DatasetSplits> {
    const options = imagesOptions(context);
    const cacheDir = options.cache ? imageCacheDir(context.env) : undefined;
    const common = {
      size: options.size,
      channels: options.channels,
      skipBadFiles: options.skipBadFiles,
      cacheDir,
    };
    const train = await loadImageFolder(options.train, {
      ...common,
      key: 'train',
      classes: context.recorded?.classes,
    });
    const test =
      options.test === undefined
        ? undefined
        : await loadImageFolder(options.test, {
            ...common,
            key: 'test',
            classes: train.classes,
            // The test images are decoded as the training images were.
            channels: train.split.channels as 1 | 3 | 4,
            ...(options.size === undefined
              ? { requireSize: [train.split.height, train.split.width] as const }
              : {}),
          });
    const cached = [train, ...(test ? [test] : [])].every((s) => s.fromCache);
    return {
      train: train.split,
      test: test?.split,
      numClasses: train.classes.length,
      classes: train.classes,
      files: { train: train.files, test: test?.files },
      kind: 'files',
      location: `${options.train}${options.test ? `, ${options.test}` : ''}${cached ? ' (decoded cache)' : ''}`,
      notices: [
        ...notices('images', train, options.train),
        ...(test && options.test ? notices('images', test, options.test) : []),
      ],
    };
  },
  async loadTest(context: DatasetContext): Promise<TestSplit | undefined> {
    const recorded = context.recorded;
    if (recorded === undefined || recorded.shape.length !== 3) {
      throw new InternalError('images.loadTest needs the run’s recorded classes and image shape');
    }
    const options = imagesOptions(context);
    if (options.test === undefined) return undefined;
    // Decoded to the run's size and channels (unless data.image says otherwise: the model's
    // input check then names both); class folders named among the run's classes.
    const test = await loadImageFolder(options.test, {
      key: 'test',
      size: options.size ?? [recorded.shape[0]!, recorded.shape[1]!],
      channels: options.channels ?? (recorded.shape[2] as 1 | 3 | 4),
      skipBadFiles: options.skipBadFiles,
      cacheDir: options.cache ? imageCacheDir(context.env) : undefined,
      classes: recorded.classes,
    });
    return {
      test: test.split,
      files: test.files,
      location: `${options.test}${test.fromCache ? ' (decoded cache)' : ''}`,
      notices: notices('images', test, options.test),
    };
  },
  async measureData(spec, { cwd, valuesPerExample }) {
    // Held as uint8 pixels at the model's input size, and one label byte, per image.
    if (valuesPerExample === undefined) return undefined;
    let files = 0;
    for (const key of ['train', 'test'] as const) {
      const dir = (spec.options[key] as { dir?: unknown } | undefined)?.dir;
      if (dir === undefined && key === 'test') continue;
      const count = typeof dir === 'string' ? countImageFiles(resolve(cwd, dir), key) : undefined;
      if (count === undefined) return undefined;
      files += count;
    }
    return files * (valuesPerExample + 1);
  },
  async status(context: DatasetContext) {
    return {
      dataset: 'images',
      status: 'user files',
      location: 'data.train.dir / data.test.dir in the config',
      trainCount: undefined,
      testCount: undefined,
      detail: `image folders named by the experiment; decoded cache in ${imageCacheDir(context.env)}`,
    };
  },
};
