/**
 * The seed of one node's initializers: a hash of the run seed and the node's
 * index, so every node gets different weights, and the same run seed gives
 * the same weights every time (and on every backend that runs tfjs's seeded
 * random generators).
 */
export function deriveSeed(runSeed: number, nodeIndex: number): number {
  // splitmix32-style mixing of (runSeed, nodeIndex); Math.imul keeps it in 32 bits.
  let h = (Math.trunc(runSeed) ^ Math.imul(nodeIndex + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}
