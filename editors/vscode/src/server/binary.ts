// Finds the `retort` executable: the `retort.path` setting first, then PATH.
// Each candidate is checked by running `retort --version`, so a stale
// setting or a non-executable file is reported instead of failing later
// inside the language client.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const INSTALL_HELP =
  'Install Retort with `cargo install --path cli` from a Retort checkout (or put a built `retort` on PATH), ' +
  'or set "retort.path" to the binary.';

export interface Found {
  path: string;
  version: string;
}

/// The paths to try, in order. Pure, so the lookup order is unit-tested.
export function candidates(setting: string | undefined, envPath: string | undefined, platform = process.platform): string[] {
  const out: string[] = [];
  if (setting && setting.trim()) out.push(setting.trim());
  const name = platform === 'win32' ? 'retort.exe' : 'retort';
  const separator = platform === 'win32' ? ';' : ':';
  for (const dir of (envPath ?? '').split(separator)) {
    if (dir) out.push(path.join(dir, name));
  }
  return out;
}

function version(binary: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error, stdout) => {
      resolve(error ? null : stdout.trim());
    });
  });
}

export type Lookup = { found: Found } | { missing: string };

/// Returns the first candidate that runs. When the setting names a file that
/// does not run, reports it rather than silently falling back to PATH.
export async function findServer(setting: string | undefined, envPath: string | undefined): Promise<Lookup> {
  const list = candidates(setting, envPath);
  const explicit = setting && setting.trim() ? list[0] : undefined;
  for (const candidate of list) {
    if (candidate !== explicit && !fs.existsSync(candidate)) continue;
    const text = await version(candidate);
    if (text !== null) return { found: { path: candidate, version: text } };
    if (candidate === explicit) {
      return { missing: `The "retort.path" setting names '${candidate}', which does not run (\`${candidate} --version\` failed). ${INSTALL_HELP}` };
    }
  }
  return { missing: `Retort's language server was not found: no \`retort\` on PATH. ${INSTALL_HELP}` };
}
