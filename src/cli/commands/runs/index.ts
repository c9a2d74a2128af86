import type { CommandDefinition } from '../command.js';
import { registerRunsExport } from './export.js';
import { registerRunsNote, registerRunsTag, registerRunsUntag } from './labels.js';
import { registerRunsList } from './ls.js';
import { registerRunsRemove } from './rm.js';
import { registerRunsShow } from './show.js';

/** Every `runner runs` subcommand, in the order `runner runs --help` lists them. */
const SUBCOMMANDS = [
  registerRunsList,
  registerRunsShow,
  registerRunsTag,
  registerRunsUntag,
  registerRunsNote,
  registerRunsRemove,
  registerRunsExport,
];

/** `runner runs ls|show|tag|untag|note|rm|export`: past runs from the store. */
export const runsCommand: CommandDefinition = {
  name: 'runs',
  register(program, context) {
    const runs = program.command('runs').description('list, show, tag, annotate, delete and export recorded runs');
    for (const register of SUBCOMMANDS) register(runs, context);
  },
};
