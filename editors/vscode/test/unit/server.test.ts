import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { diffDocument } from '../../src/commands/diffDocument';
import { candidates, findServer } from '../../src/server/binary';
import { lensTarget } from '../../src/server/lenses';

describe('candidates', () => {
  it('tries the setting first, then each PATH entry', () => {
    expect(candidates(' /opt/retort ', '/a:/b::/c', 'linux')).toEqual(['/opt/retort', '/a/retort', '/b/retort', '/c/retort']);
    expect(candidates('', '/a', 'linux')).toEqual(['/a/retort']);
    expect(candidates(undefined, 'C:\\bin;D:\\x', 'win32').map((p) => path.basename(p))).toEqual(['retort.exe', 'retort.exe']);
  });
});

describe('findServer', () => {
  it('finds an executable on PATH and reads its version', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-bin-'));
    const bin = path.join(dir, 'retort');
    fs.writeFileSync(bin, '#!/bin/sh\necho "retort 9.9.9"\n', { mode: 0o755 });
    const lookup = await findServer(undefined, `/nonexistent:${dir}`);
    expect(lookup).toEqual({ found: { path: bin, version: 'retort 9.9.9' } });
    fs.rmSync(dir, { recursive: true });
  });

  it('reports install help and a broken setting', async () => {
    const missing = await findServer(undefined, '/nonexistent');
    expect(missing).toHaveProperty('missing');
    expect((missing as { missing: string }).missing).toContain('cargo install --path cli');
    const broken = await findServer('/nonexistent/retort', '');
    expect((broken as { missing: string }).missing).toContain("names '/nonexistent/retort'");
  });
});

describe('lensTarget', () => {
  it('sends experiment lenses through the commands that ask for overrides', () => {
    const args = { targets: ['train'], pipeline: 'dvc.yaml' };
    expect(lensTarget('retort.exp.run', [args])).toEqual({ command: 'retort.runExperiment', arguments: [args] });
    expect(lensTarget('retort.exp.queue', [args])).toEqual({ command: 'retort.queueExperiment', arguments: [args] });
    expect(lensTarget('retort.repro', [args])).toEqual({ command: 'retort.execute', arguments: ['retort.repro', args] });
    expect(lensTarget('retort.exp.diff', [])).toEqual({ command: 'retort.execute', arguments: ['retort.exp.diff', {}] });
  });
});

describe('diffDocument', () => {
  it('renders params and metrics changes as Markdown tables', () => {
    const text = diffDocument({
      revision: 'HEAD',
      params: { 'params.yaml': { 'train.lr': { old: 0.1, new: 0.3, diff: 0.19999999999999998 } } },
      metrics: {},
    });
    expect(text).toContain('# Workspace against HEAD');
    expect(text).toContain('| params.yaml | train.lr | 0.1 | 0.3 | 0.2 |');
    expect(text).toContain('## Metrics\n\nNo changes.');
  });
});
