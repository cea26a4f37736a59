import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './cli-error.ts';

/** Reads a small text file an option names, turning fs errors into one clear line. */
export async function readTextFile(path: string, option: string): Promise<string> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CliError(`${option} ${path}: is a directory, not a key file`);
    // Keys and tokens are a few KiB; a large file is the wrong file.
    if (info.size > 1024 * 1024) throw new CliError(`${option} ${path}: too large to be a key file`);
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${option} ${path}: ${fsReason(error)}`);
  }
}

export interface KeyFiles {
  privateKeyFile: string;
  publicKeyFile: string;
}

/**
 * Writes private.pem (mode 0600) and public.pem (0644) into `dir`, made if missing. Without `force`, refuses
 * before writing anything if either exists, so an existing key pair is never half replaced.
 */
export async function writeKeyFiles(
  dir: string,
  pems: { privateKeyPem: string; publicKeyPem: string },
  force: boolean,
): Promise<KeyFiles> {
  const files = { privateKeyFile: join(dir, 'private.pem'), publicKeyFile: join(dir, 'public.pem') };
  try {
    // Like `mkdir -p`; a new directory is private, as it is about to hold a private key.
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const notDir =
      (error as { code?: unknown }).code === 'EEXIST' || (error as { code?: unknown }).code === 'ENOTDIR';
    throw new CliError(`--out ${dir}: ${notDir ? 'not a directory' : fsReason(error)}`);
  }
  if (!force) {
    for (const file of [files.privateKeyFile, files.publicKeyFile]) {
      if (await exists(file)) {
        throw new CliError(`${file} already exists; not overwriting a key (use --force to replace it)`);
      }
    }
  }
  try {
    // `wx` would refuse; with --force, `w` replaces. The mode applies only to a new file, so chmod too.
    await writeFile(files.privateKeyFile, pems.privateKeyPem, { mode: 0o600, flag: force ? 'w' : 'wx' });
    await chmod(files.privateKeyFile, 0o600);
    await writeFile(files.publicKeyFile, pems.publicKeyPem, { mode: 0o644, flag: force ? 'w' : 'wx' });
  } catch (error) {
    throw new CliError(`cannot write the key files in ${dir}: ${fsReason(error)}`);
  }
  return files;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function fsReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EEXIST') return 'already exists (use --force to replace it)';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}
