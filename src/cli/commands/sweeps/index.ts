import type { CommandDefinition } from '../command.js';
import { registerSweepsList } from './ls.js';
import { registerSweepsShow } from './show.js';

/** `runner sweeps ls|show`: recorded sweeps from the store. */
export const sweepsCommand: CommandDefinition = {
  name: 'sweeps',
  register(program, context) {
    const sweeps = program.command('sweeps').description('list and show recorded sweeps');
    for (const register of [registerSweepsList, registerSweepsShow]) register(sweeps, context);
  },
};
