import { CliError, oneLine } from './cli-error.ts';
import { createProgram } from './program.ts';

// Every failure ends as one line on stderr and a non-zero exit; stdout keeps only results.
try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`signet: ${oneLine(error)}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
