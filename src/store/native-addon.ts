import { StoreError } from '../errors.js';

/**
 * Node's ABI number (`process.versions.modules`) by major version, to say which Node
 * an addon was built for. Numbers from nodejs.org/dist/index.json ("modules").
 */
const NODE_BY_ABI: Readonly<Record<string, string>> = {
  '108': 'Node 18',
  '115': 'Node 20',
  '120': 'Node 21',
  '127': 'Node 22',
  '131': 'Node 23',
  '137': 'Node 24',
  '141': 'Node 25',
};

/**
 * The one-line StoreError for a native addon (better-sqlite3) that cannot load
 * into this Node: built against another Node's ABI (NODE_MODULE_VERSION), or
 * otherwise not loadable (ERR_DLOPEN_FAILED). Other errors: undefined, so the
 * caller reports them as it would.
 *
 * @example
 * try { new Database(path) } catch (e) { throw nativeAddonError(e, 'better-sqlite3') ?? e }
 */
export function nativeAddonError(
  error: unknown,
  addon: string,
  running: { version: string; abi: string } = {
    version: process.versions.node,
    abi: process.versions.modules,
  },
): StoreError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(message);
  const rebuild = `run \`npm rebuild ${addon}\` with the Node that runs runner`;
  if (abi) {
    const built = abi[1]!;
    const builtFor = NODE_BY_ABI[built] ?? 'another Node';
    return new StoreError(
      `the native addon ${addon} was built for ${builtFor} (ABI ${built}), but this is Node ${running.version} (ABI ${abi[2] ?? running.abi}): ${rebuild}`,
      { cause: error },
    );
  }
  if (code === 'ERR_DLOPEN_FAILED') {
    const first = message.split('\n')[0];
    return new StoreError(
      `the native addon ${addon} cannot load into Node ${running.version} (${first}): ${rebuild}`,
      { cause: error },
    );
  }
  return undefined;
}
