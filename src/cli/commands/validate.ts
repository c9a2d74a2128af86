import type { Command } from 'commander';
import type { Diagnostic } from '../../errors.js';
import { OK, outcome, type Outcome } from '../outcome.js';
import { outputFormat } from '../parse-flags.js';
import type { View } from '../render.js';
import { collect, type CliContext, type CommandDefinition } from './command.js';

interface ValidateFlags {
  readonly set?: readonly string[];
  readonly json?: boolean;
  readonly csv?: boolean;
}

/** One problem as `validate --json` prints it: flat, every key present (null when unknown). */
export interface DiagnosticJson {
  readonly code: string;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly path: string;
  readonly hint: string | null;
}

/** `validate --json`: each file given, in order, with its problems; `valid` when none has any. */
export interface ValidationJson {
  readonly valid: boolean;
  readonly files: readonly {
    readonly file: string;
    readonly valid: boolean;
    readonly diagnostics: readonly DiagnosticJson[];
  }[];
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
      .option(
        '--json',
        'print every problem as JSON (code, message, file, line, column, path, hint) for editors and tools',
      )
      .option('--csv', 'print one row per problem (a valid file: one row without a code)')
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
  const format = outputFormat(flags);
  const plain = format === 'table';
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
  const results: ValidationJson['files'][number][] = [];
  for (const file of files) {
    try {
      const experiment = await loadExperiment(file, {
        registries: REGISTRIES,
        set: flags.set ?? [],
        cwd: context.cwd,
      });
      if (experiment.model.input === undefined) {
        // Shapes are checked when the data gives the input shape (runner exp).
        results.push({ file, valid: true, diagnostics: [] });
        if (plain) context.out.line(`ok  ${file}  (model.input is taken from the data)`);
        continue;
      }
      const { checkClassCount, declaredClassCount } =
        await import('../../train/check-class-count.js');
      const plan = planModel(experiment.model);
      checkClassCount(experiment, plan, declaredClassCount(experiment));
      const { checkMemory, estimateMemory, memoryLimits, plannedDataBytes } =
        await import('../../train/memory-estimate.js');
      checkMemory(
        experiment,
        plan,
        estimateMemory(experiment, plan, await plannedDataBytes(experiment, plan, context.cwd)),
        memoryLimits(experiment.backend),
      );
      results.push({ file, valid: true, diagnostics: [] });
      if (plain) context.out.line(`ok  ${file}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      results.push({ file, valid: false, diagnostics: error.diagnostics.map(diagnosticJson) });
      if (plain) context.out.note(error.message);
    }
  }
  const invalid = results.filter((r) => !r.valid).length;
  if (!plain) {
    context.out.view(validationView(results, invalid === 0), format);
  } else if (files.length > 1) {
    context.out.note(
      invalid === 0 ? `${files.length} files valid` : `${invalid} of ${files.length} files invalid`,
    );
  }
  return invalid > 0 ? outcome('invalid') : OK;
}

/** One CSV row per problem, one for each valid file; JSON as `ValidationJson`. */
function validationView(
  files: ValidationJson['files'],
  valid: boolean,
): View<DiagnosticJson & { readonly valid: boolean }> {
  type Row = DiagnosticJson & { readonly valid: boolean };
  const none = { code: '', message: '', line: null, column: null, path: '', hint: null };
  return {
    records: files.flatMap((f): Row[] =>
      f.diagnostics.length === 0
        ? [{ ...none, file: f.file, valid: true }]
        : f.diagnostics.map((d) => ({ ...d, file: d.file ?? f.file, valid: false })),
    ),
    columns: ['file', 'valid', 'line', 'column', 'code', 'path', 'message', 'hint'].map((key) => ({
      key,
    })),
    json: { valid, files } satisfies ValidationJson,
  };
}

function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return {
    code: d.code,
    message: d.message,
    file: d.loc?.file ?? null,
    line: d.loc?.line ?? null,
    column: d.loc?.col ?? null,
    path: d.path,
    hint: d.hint ?? null,
  };
}
