import type { CommandDefinition } from './command.js';
import { validateCommand } from './validate.js';
import { planCommand } from './plan.js';
import { schemaCommand } from './schema.js';
import { dataCommand } from './data.js';
import { runsCommand } from './runs/index.js';
import { compareCommand } from './compare.js';
import { queryCommand } from './query.js';
import { expCommand } from './exp.js';
import { sweepCommand } from './sweep.js';
import { sweepsCommand } from './sweeps/index.js';
import { serveCommand } from './serve.js';
import { storeCommand } from './store.js';
import { doctorCommand } from './doctor.js';
import { workerCommand } from './worker.js';
import { evalCommand } from './eval.js';
import { predictCommand } from './predict.js';

/** Every command of the CLI, in the order `--help` lists them. One line to add one. */
export const COMMANDS: readonly CommandDefinition[] = [
  expCommand,
  sweepCommand,
  workerCommand,
  sweepsCommand,
  validateCommand,
  planCommand,
  schemaCommand,
  evalCommand,
  predictCommand,
  runsCommand,
  compareCommand,
  queryCommand,
  serveCommand,
  storeCommand,
  dataCommand,
  doctorCommand,
];
