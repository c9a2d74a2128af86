import { UsageError } from '../errors.js';

/** The dashboard `runner exp --serve` points at: its own, or one already serving the same store. */
export interface ServedDashboard {
  readonly url: string;
  /** Said once, before training (which dashboard, and why this port). */
  readonly note: string;
  /** Whether this process serves it (and so stays up after training until Ctrl-C). */
  readonly own: boolean;
  close(): Promise<void>;
}

/**
 * Starts the dashboard on `port`, unless that port already serves a runner dashboard on
 * the same store: then that one is used (its URL printed, nothing started). Another
 * program on the port: a free port instead, said in the note.
 */
export async function serveBeside(dbPath: string, port: number): Promise<ServedDashboard> {
  const [{ startDashboard }, { redactStoreTarget }] = await Promise.all([
    import('../dashboard/index.js'),
    import('../store/index.js'),
  ]);
  const own = async (at: number, why: string): Promise<ServedDashboard> => {
    const dashboard = await startDashboard({ dbPath, port: at });
    return {
      url: dashboard.url,
      note: `dashboard: ${dashboard.url}${why} (--serve keeps this process up after training, until Ctrl-C)`,
      own: true,
      close: () => dashboard.close(),
    };
  };
  try {
    return await own(port, '');
  } catch (error) {
    if (!(error instanceof UsageError) || !isAddressInUse(error.cause)) throw error;
  }
  const running = await dashboardStatus(port);
  if (running !== undefined && running.storePath === redactStoreTarget(dbPath)) {
    const url = `http://127.0.0.1:${port}/`;
    return {
      url,
      note: `dashboard: ${url} (already serving this store, runner ${running.version}; training here)`,
      own: false,
      close: async () => undefined,
    };
  }
  const who =
    running !== undefined
      ? `a runner dashboard of another store (${running.storePath ?? 'unknown'})`
      : 'another program';
  return own(0, ` (port ${port} is taken by ${who})`);
}

function isAddressInUse(cause: unknown): boolean {
  return (cause as { code?: unknown } | undefined)?.code === 'EADDRINUSE';
}

/** What `/api/status` of a runner dashboard on this port says; undefined for anything else. */
async function dashboardStatus(
  port: number,
): Promise<{ storePath: string | null; version: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/status`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { storePath?: unknown; version?: unknown };
    if (typeof body.version !== 'string' || !('storePath' in body)) return undefined;
    return {
      version: body.version,
      storePath: typeof body.storePath === 'string' ? body.storePath : null,
    };
  } catch {
    return undefined;
  }
}
