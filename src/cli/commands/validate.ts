import type { Command } from 'commander';
import { OK, outcome, type Outcome } from '../outcome.js';
import { collect, type CliContext, type CommandDefinition } from './command.js';

interface ValidateFlags {
  readonly set?: readonly string[];
}

/** `runner validate FILE...`: YAML, schema, graph and shapes of each file; exit 0 only if all pass. */
export const validateCommand: CommandDefinition = {
  name: 'validate',
  register(program: Command, context: CliContext) {
    program
      .command('validate')
      .description(
        'check experiment files: YAML, schema, layer graph and shapes (exit 0 if all are valid)',
      )
      .argument('<files...>', 'experiment YAML files')
      .option('--set <key=value>', 'override a config value in every file (repeatable)', collect)
      .action(
        context.action((files: string[], flags: ValidateFlags) =>
          validateFiles(context, files, flags),
        ),
      );
  },
};

async function validateFiles(
  context: CliContext,
  files: readonly string[],
  flags: ValidateFlags,
): Promise<Outcome> {
  // Lazy: `runner --help` must not load tfjs.
  const [{ loadExperiment }, { planModel }, { usePlanningBackend }, { ConfigError }] =
    await Promise.all([
      import('../../config/index.js'),
      import('../../model/index.js'),
      import('../../model/planning-backend.js'),
      import('../../errors.js'),
    ]);
  const { REGISTRIES } = await import('../../registries.js');
  await usePlanningBackend();
  let invalid = 0;
  for (const file of files) {
    try {
      const experiment = await loadExperiment(file, {
        registries: REGISTRIES,
        set: flags.set ?? [],
        cwd: context.cwd,
      });
      const { checkClassCount, declaredClassCount } =
        await import('../../train/check-class-count.js');
      checkClassCount(experiment, planModel(experiment.model), declaredClassCount(experiment));
      context.out.line(`ok  ${file}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      invalid += 1;
      context.out.note(error.message);
    }
  }
  if (files.length > 1) {
    context.out.note(
      invalid === 0 ? `${files.length} files valid` : `${invalid} of ${files.length} files invalid`,
    );
  }
  return invalid > 0 ? outcome('invalid') : OK;
}
