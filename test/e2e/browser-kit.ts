import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`), which the browser tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether a browser test must be skipped: only where Chromium is missing and
 * this is not CI (in CI it must run, and fails loudly without it). Says so in
 * one line, naming the test.
 */
export function skipWithoutChromium(test: string): boolean {
  const skip = !existsSync(CHROMIUM) && !process.env['CI'];
  if (skip) console.warn(`${test}: skipped, no Chromium at ${CHROMIUM}`);
  return skip;
}

/**
 * Headless Chromium as the tests run it: no sandbox (root), no GPU, and none
 * of its background connections, which this machine's closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
