import type { Command } from 'commander';
import type { CliContext, CommandDefinition } from './command.js';

interface SchemaFlags {
  readonly write?: boolean;
}

/** `runner schema [--write]`: the experiment JSON Schema, generated from the layer registry. */
export const schemaCommand: CommandDefinition = {
  name: 'schema',
  register(program: Command, context: CliContext) {
    program
      .command('schema')
      .description(
        'print the JSON Schema of experiment files, generated from the layer and dataset registries (--write updates schema/experiment.schema.json)',
      )
      .option('--write', 'write it to the schema/experiment.schema.json this runner ships')
      .action(async (flags: SchemaFlags) => {
        await printSchema(context, flags);
      });
  },
};

async function printSchema(context: CliContext, flags: SchemaFlags): Promise<void> {
  const [{ buildExperimentSchema, EXPERIMENT_SCHEMA_URL }, { REGISTRIES }] = await Promise.all([
    import('../../config/index.js'),
    import('../../registries.js'),
  ]);
  const schema = buildExperimentSchema(REGISTRIES);
  if (!flags.write) {
    context.out.json(schema);
    return;
  }
  const [{ writeFile }, { fileURLToPath }, path] = await Promise.all([
    import('node:fs/promises'),
    import('node:url'),
    import('node:path'),
  ]);
  const file = fileURLToPath(EXPERIMENT_SCHEMA_URL);
  await writeFile(file, `${JSON.stringify(schema, null, 2)}\n`);
  context.out.note(
    `wrote ${path.relative(context.cwd, file) || file} (${REGISTRIES.layers.length} layer kinds)`,
  );
}
