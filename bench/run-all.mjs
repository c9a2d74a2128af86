#!/usr/bin/env node
// Runs every benchmark of the README, one after the other (builds first).
// They print their own tables; each compares side by side within its own run.
// `npm run bench` runs them all (about 30 minutes on 2 cores, most of it
// bench:accuracy and the first bench:store); `npm run bench -- data train`
// runs some.
import { spawnSync } from 'node:child_process';

const BENCHES = {
  data: 'loading Fashion-MNIST and batching an epoch (bench/data-load.mjs)',
  'own-data':
    'a 20,000-PNG image folder (first and cached load, memory, batching vs a step) and a 100,000-row CSV (bench/own-data.mjs)',
  train: 'training images/s per backend, and vs PyTorch when present (bench/train-speed.mjs)',
  record: 'recording overhead and the runner’s own share of a step (bench/train-record.mjs)',
  store: 'queries over a 40M-value store, bytes per value (bench/store-queries.mjs)',
  accuracy: 'test accuracy vs targets through the CLI (bench/train-accuracy.mjs)',
  recipe:
    'recipe vs plain Adam on Fashion-MNIST, checkpoint and augmentation cost (bench/recipe.mjs)',
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(
    `unknown bench ${unknown.join(', ')}: expected some of ${Object.keys(BENCHES).join(', ')}`,
  );
  process.exit(2);
}
const names = asked.length > 0 ? asked : Object.keys(BENCHES);

let failed = 0;
for (const name of names) {
  console.log(`\n=== bench:${name}: ${BENCHES[name]}`);
  const result = spawnSync('npm', ['run', '--silent', `bench:${name}`], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.log(`bench:${name} exited with ${result.status}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
