// End-to-end test of the extension in a real VS Code: code-server (from npm)
// with the packaged .vsix, driven through headless Debian Chromium by
// playwright-core, on a fixture git repository.
//
// Usage: node e2e.mjs --code-server BIN --vsix FILE --retort BIN --chromium BIN --out DIR
// Checks: diagnostics of a broken dvc.yaml appear, a hover on a param shows
// its value, a "Run experiment" lens creates refs/exps, and the Experiments
// and Plots views render. Screenshots go to DIR.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

import { startCodeServer, stopCodeServer } from './codeServer.mjs';
import { branches, experimentRefs, makeFixture } from './fixture.mjs';

const { values: opts } = parseArgs({
  options: {
    'code-server': { type: 'string' },
    vsix: { type: 'string' },
    retort: { type: 'string' },
    chromium: { type: 'string' },
    out: { type: 'string' },
  },
});
for (const key of ['code-server', 'vsix', 'retort', 'chromium', 'out']) {
  if (!opts[key]) throw new Error(`missing --${key}`);
}

const out = path.resolve(opts.out);
fs.mkdirSync(out, { recursive: true });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-vscode-e2e-'));
const project = makeFixture(root);

const results = [];
async function check(name, body) {
  const started = Date.now();
  try {
    const note = await body();
    const skipped = typeof note === 'string' && note.startsWith('skip:');
    results.push({ name, status: skipped ? 'skipped' : 'passed', note: note ?? '' });
    console.log(`${skipped ? 'SKIP' : 'ok  '} ${name} (${Date.now() - started} ms)${note ? `: ${note}` : ''}`);
  } catch (error) {
    results.push({ name, status: 'failed', note: String(error?.message ?? error) });
    await failureShot?.(`failed-${results.length}`).catch(() => undefined);
    console.log(`FAIL ${name} (${Date.now() - started} ms): ${error?.stack ?? error}`);
  }
}

let failureShot;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const settings = {
  'retort.path': path.resolve(opts.retort),
  'retort.server.logLevel': 'debug',
  'retort.server.logFile': path.join(out, 'retort-lsp.log'),
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'editor.hover.delay': 100,
  'security.workspace.trust.enabled': false,
};

// The gallery points at a closed loopback port, so code-server sends no
// extension queries to another host.
process.env.EXTENSIONS_GALLERY = JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' });

const server = await startCodeServer({
  bin: opts['code-server'],
  vsix: path.resolve(opts.vsix),
  root,
  settings,
  log: path.join(out, 'code-server.log'),
});
const browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const shot = (name) => page.screenshot({ path: path.join(out, `${name}.png`) });
  failureShot = shot;

  // Runs a palette command by its title.
  // F1 does not reach the workbench while a webview has the focus, so the
  // palette is opened from the command center in the title bar when present.
  async function palette(title) {
    const center = page.locator('.command-center-center');
    if (await center.count()) await center.first().click();
    else await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
  }

  // Types into the extension's overrides prompt once it has replaced the
  // palette (the same widget closes and reopens in between).
  async function answerOverrides(text) {
    const input = page.locator('.quick-input-widget input.input[placeholder*="-S train.lr"]');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(text);
    await page.keyboard.press('Enter');
  }

  // Opens a file: a top-level one by clicking it in the Explorer (where
  // dvc.yaml and broken/dvc.yaml differ by tree level), a nested one with
  // Quick Open on its path.
  async function open(file) {
    if (!file.includes('/')) {
      const row = page.locator('.explorer-folders-view .monaco-list-row[aria-level="1"]', { hasText: file }).first();
      await row.click();
    } else {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible' });
      await input.fill(file);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
    }
    await page.locator('.breadcrumbs-control', { hasText: path.basename(file) }).first().waitFor({ timeout: 10_000 });
    await sleep(500);
  }

  async function frameWith(selector, timeout = 20_000) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      for (const frame of page.frames()) {
        if (await frame.locator(selector).count().catch(() => 0)) return frame;
      }
      await sleep(250);
    }
    throw new Error(`no webview frame shows ${selector}`);
  }

  await page.goto(`${server.url}/?folder=${encodeURIComponent(project)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await sleep(1500);
  await shot('01-workbench');

  await check('diagnostics appear for a broken dvc.yaml', async () => {
    await open('broken/dvc.yaml');
    await page.locator('.squiggly-error').first().waitFor({ timeout: 30_000 });
    await palette('Problems: Focus on Problems View');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: "unknown key 'outz'" }).first();
    await problem.waitFor({ timeout: 10_000 });
    const text = await problem.innerText();
    await shot('02-diagnostics');
    return text.replace(/\s+/g, ' ').trim();
  });

  await check('a hover on a param shows its value', async () => {
    // Moves the mouse over the key in params:, as a user would.
    await open('dvc.yaml');
    const key = page.locator('.monaco-editor .view-line span', { hasText: /^train\.lr$/ }).first();
    await key.waitFor({ timeout: 10_000 });
    await key.hover();
    const hover = page.locator('.monaco-hover:visible', { hasText: 'train.lr' }).first();
    await hover.waitFor({ timeout: 15_000 });
    const text = (await hover.innerText()).replace(/\s+/g, ' ');
    await shot('03-hover');
    if (!text.includes('0.3')) throw new Error(`the hover does not show the workspace value 0.3: ${text}`);
    await page.keyboard.press('Escape');
    return text.slice(0, 160);
  });

  await check('the Experiments view shows, sorts and diffs the table', async () => {
    await palette('Retort: Show Experiments');
    const frame = await frameWith('#experiments');
    const header = await frame.locator('#experiments thead').innerText();
    const body = await frame.locator('#experiments tbody').innerText();
    for (const needle of ['Params', 'Metrics', 'train.lr', 'acc']) {
      if (!header.includes(needle)) throw new Error(`header lacks ${needle}: ${header}`);
    }
    if (!body.includes('workspace') || !body.includes('HEAD')) throw new Error(`rows: ${body}`);
    await frame.locator('#experiments th[data-column="train.lr"]').click();
    const sorted = await frame.locator('#experiments th[data-column="train.lr"]').innerText();
    if (!sorted.includes('▲')) throw new Error(`no sort mark after a click: ${sorted}`);
    await frame.locator('#experiments tbody tr').nth(0).click();
    await frame.locator('#experiments tbody tr').nth(1).click();
    await frame.locator('.toolbar button', { hasText: 'Diff' }).click();
    await frame.locator('#diff table').waitFor({ timeout: 5_000 });
    const diff = (await frame.locator('#diff').innerText()).replace(/\s+/g, ' ');
    await shot('04-experiments');
    if (!/train\.lr 0\.3 0\.1 -0\.2/.test(diff)) throw new Error(`the diff of workspace and HEAD is wrong: ${diff}`);
    // Leave the selection empty for the checks that follow.
    await frame.locator('#experiments tbody tr').nth(0).click();
    await frame.locator('#experiments tbody tr').nth(1).click();
    return diff.slice(0, 160);
  });

  await check('the Diff command shows params changed since HEAD', async () => {
    await palette('Retort: Diff Workspace with a Revision');
    const head = page.locator('.quick-input-list .monaco-list-row', { hasText: 'HEAD' }).first();
    await head.waitFor({ timeout: 15_000 });
    await head.click();
    const lines = page.locator('.editor-instance .view-lines', { hasText: 'Workspace against' }).first();
    await lines.waitFor({ timeout: 20_000 });
    const text = (await lines.innerText()).replace(/\s+/g, ' ');
    await shot('04b-diff');
    if (!/\| params\.yaml \| train\.lr \| 0\.1 \| 0\.3 \|/.test(text)) throw new Error(`no train.lr row in the diff: ${text}`);
    return text.slice(0, 160);
  });

  // What the run showed while it ran: the status bar item, and the number of
  // workspace points the Plots view drew at each poll.
  const live = { status: '', counts: [] };

  await check('running a lens creates an experiment', async () => {
    // The run rejects a project with an invalid pipeline file, so remove it.
    fs.rmSync(path.join(project, 'broken'), { recursive: true, force: true });
    await page.locator('.tab', { hasText: 'Experiments' }).locator('.codicon-close').click().catch(() => undefined);
    await palette('Retort: Show Plots');
    const plots = await frameWith('.toolbar input');
    await open('dvc.yaml');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Run experiment' }).first();
    await lens.waitFor({ timeout: 20_000 });
    await shot('05-lenses');
    await lens.click();
    await answerOverrides('-S train.lr=0.2');
    const deadline = Date.now() + 120_000;
    let shotRunning = false;
    while (Date.now() < deadline) {
      const refs = experimentRefs(project);
      if (refs.length > 0) {
        await sleep(1000);
        await shot('06-experiment-done');
        return refs.join(', ');
      }
      const toasts = (await page.locator('.notifications-toasts').innerText().catch(() => '')).replace(/\s+/g, ' ');
      if (/does not include yet/.test(toasts)) {
        await shot('06-experiment-unavailable');
        return `skip: the server has no experiment engine in this build (${toasts.trim().slice(0, 200)})`;
      }
      if (/failed/i.test(toasts) && !/Running/i.test(toasts)) {
        await shot('06-experiment-failed');
        throw new Error(`the run failed: ${toasts.trim().slice(0, 400)}`);
      }
      const status = await page.locator('.statusbar-item', { hasText: 'Retort:' }).allInnerTexts();
      if (status.length > 0) live.status = status.join(' ');
      const workspace = plots.locator('figure[data-plot="loss.csv"] path', { hasText: 'workspace' });
      if (await workspace.count()) {
        const d = (await workspace.first().getAttribute('d')) ?? '';
        const points = (d.match(/[ML]/g) ?? []).length;
        if (live.counts.at(-1) !== points) live.counts.push(points);
      }
      if (!shotRunning && status.length > 0) {
        await shot('06-experiment-running');
        shotRunning = true;
      }
      await sleep(200);
    }
    await shot('06-experiment-timeout');
    throw new Error('no ref under refs/exps after 120 s');
  });

  await check('a run shows in the status bar and redraws the plot live', async () => {
    if (experimentRefs(project).length === 0) return 'skip: no experiment ran';
    if (!live.status.includes('Retort: Run Experiment')) throw new Error(`no status bar item during the run: '${live.status}'`);
    // The fixture had 3 points, and the run rewrites loss.csv with 1, 2, then 3.
    const grew = live.counts.some((count, index) => index > 0 && count > live.counts[index - 1]);
    if (!live.counts.some((count) => count < 3) || !grew) {
      throw new Error(`the workspace line did not grow during the run: point counts seen ${JSON.stringify(live.counts)}`);
    }
    return `status '${live.status.trim()}', workspace points seen ${live.counts.join(' → ')}`;
  });

  await check('the Experiments view lists what exists after the run', async () => {
    await palette('Retort: Show Experiments');
    const frame = await frameWith('#experiments');
    await frame.locator('button', { hasText: 'Refresh' }).click();
    await sleep(1500);
    const rows = await frame.locator('#experiments tbody tr').count();
    const refs = experimentRefs(project);
    await shot('07-experiments-after');
    const body = await frame.locator('#experiments tbody').innerText();
    if (!body.includes('workspace')) throw new Error(`no workspace row: ${body}`);
    if (refs.length > 0 && rows < 3) throw new Error(`${refs.length} experiment refs but only ${rows} rows`);
    return `${rows} rows, ${refs.length} experiment refs`;
  });

  await check('the Plots view draws the rows chosen in the table', async () => {
    await palette('Retort: Show Experiments');
    const table = await frameWith('#experiments');
    const rows = table.locator('#experiments tbody tr');
    // The newest rows: HEAD and, after a run, its experiment.
    const count = await rows.count();
    await rows.nth(1).click();
    await rows.nth(count > 2 ? 2 : 0).click();
    await table.locator('.toolbar button', { hasText: 'Plot' }).click();
    const frame = await frameWith('.toolbar input');
    const deadline = Date.now() + 15_000;
    let lines = 0;
    let notice = [];
    while (Date.now() < deadline) {
      lines = await frame.locator('figure[data-plot] svg path').count();
      notice = await frame.locator('.notice').allInnerTexts();
      if (lines > 0 || notice.some((text) => /no plots|does not read|No data/.test(text))) break;
      await sleep(300);
    }
    const legend = await frame.locator('.legend').allInnerTexts();
    await shot('08-plots');
    if (lines > 0) return `${lines} lines: ${legend.join(' ').replace(/\s+/g, ' ')}`;
    if (notice.some((text) => text.includes('does not read plot data'))) return `skip: ${notice.join(' ')}`;
    throw new Error(`no chart drawn: ${notice.join(' ')}`);
  });

  // Waits until the Experiments table text passes a test, refreshing it
  // only through the extension's own live updates.
  async function tableUntil(frame, test, what, timeout = 90_000) {
    const deadline = Date.now() + timeout;
    let body = '';
    while (Date.now() < deadline) {
      body = (await frame.locator('#experiments tbody').innerText().catch(() => '')).replace(/[ \t]+/g, ' ');
      if (test(body)) return body;
      await sleep(300);
    }
    throw new Error(`the table never showed ${what}: ${body}`);
  }

  // Selects exactly one experiment row by its name.
  async function selectOnly(frame, name) {
    // Each click re-renders the table, so take the first selected row anew.
    const selected = frame.locator('#experiments tbody tr.selected');
    while ((await selected.count()) > 0) await selected.first().click();
    await frame.locator(`#experiments tbody tr[data-name="${name}"]`).click();
  }

  const experimentNames = () => experimentRefs(project).map((ref) => ref.split('/').pop());

  await check('queueing and running the queue show in the table live', async () => {
    if (experimentRefs(project).length === 0) return 'skip: no experiment ran';
    const before = experimentRefs(project).length;
    await palette('Retort: Show Experiments');
    const frame = await frameWith('#experiments');
    await palette('Retort: Queue Experiment');
    await answerOverrides('-S train.lr=0.05');
    await tableUntil(frame, (body) => body.includes('queued'), 'a queued row');
    await shot('10-queued');
    await palette('Retort: Run Queue');
    const body = await tableUntil(
      frame,
      (text) => !text.includes('queued') && !text.includes('running') && experimentRefs(project).length > before,
      'the queued run finished',
    );
    await shot('11-queue-done');
    const rows = await frame.locator('#experiments tbody tr').count();
    if (rows < 4) throw new Error(`expected workspace, HEAD and two experiments, got ${rows} rows: ${body}`);
    return `${rows} rows, refs: ${experimentNames().join(', ')}`;
  });

  await check('row actions branch, apply and remove an experiment', async () => {
    if (experimentRefs(project).length === 0) return 'skip: no experiment ran';
    await palette('Retort: Show Experiments');
    const frame = await frameWith('#experiments');
    const name = experimentNames().find((candidate) => candidate !== undefined);

    await selectOnly(frame, name);
    await frame.locator('.toolbar button', { hasText: 'Branch' }).click();
    await page.locator('.quick-input-widget', { hasText: 'create a branch from' }).waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Enter');
    const deadline = Date.now() + 30_000;
    while (!branches(project).includes(`${name}-branch`) && Date.now() < deadline) await sleep(300);
    if (!branches(project).includes(`${name}-branch`)) throw new Error(`no branch ${name}-branch: ${branches(project).join(', ')}`);
    // Let the refresh that the new ref causes settle before the next click.
    await sleep(1500);

    // Apply the experiment whose row shows train.lr = 0.05 (the queued one).
    let queued = '';
    for (const other of experimentNames()) {
      const cells = await frame.locator(`#experiments tbody tr[data-name="${other}"] td`).allInnerTexts();
      if (cells.includes('0.05')) queued = other;
    }
    if (!queued) throw new Error('no row shows train.lr 0.05');
    // The runs left uncommitted changes, so the server rejects the apply and
    // the extension offers to apply anyway; the changes go to a stash
    // commit in refs/exps/apply/stash.
    const applyStash = () => {
      try {
        return execFileSync('git', ['rev-parse', '--verify', '-q', 'refs/exps/apply/stash'], { cwd: project, encoding: 'utf8' }).trim();
      } catch {
        return '';
      }
    };
    const stashBefore = applyStash();
    await selectOnly(frame, queued);
    await frame.locator('.toolbar button', { hasText: 'Apply' }).click();
    let forced = false;
    let applied = false;
    const until = Date.now() + 30_000;
    while (Date.now() < until && !applied) {
      const current = fs.readFileSync(path.join(project, 'params.yaml'), 'utf8');
      applied = /lr: 0\.05\b/.test(current);
      const anyway = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Apply Anyway' });
      if (!applied && !forced && (await anyway.isVisible().catch(() => false))) {
        await anyway.click();
        forced = true;
      }
      if (!applied) await sleep(300);
    }
    if (!applied) {
      await palette('Retort: Show Output');
      await sleep(1000);
      const log = (await page.locator('.output-view .view-lines').innerText().catch(() => '')).replace(/\s+/g, ' ');
      throw new Error(`not applied within 30 s (forced: ${forced}); Retort output: ${log.slice(-600)}`);
    }
    const stashAfter = applyStash();
    if (forced && (!stashAfter || stashAfter === stashBefore)) throw new Error('Apply Anyway kept no stash of the local changes in refs/exps/apply/stash');
    const rejection = forced ? 'refused over uncommitted changes, then applied with Apply Anyway (changes stashed)' : '';
    const params = fs.readFileSync(path.join(project, 'params.yaml'), 'utf8');

    await selectOnly(frame, name);
    await frame.locator('.toolbar button', { hasText: 'Remove' }).click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Remove' }).click();
    await tableUntil(frame, (body) => !body.includes(name), `'${name}' gone`, 30_000);
    await shot('12-removed');
    if (experimentNames().includes(name)) throw new Error(`ref of '${name}' still there`);
    return `branched and removed '${name}', applied '${queued}' (params.yaml: ${params.replace(/\s+/g, ' ').trim()})${rejection ? `; ${rejection}` : ''}`;
  });
} finally {
  await browser.close().catch(() => undefined);
  stopCodeServer(server.child);
}

// A second session in Restricted Mode: read-only features stay, lenses and
// commands that run or write do not.
const restrictedRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-vscode-e2e-restricted-'));
const restrictedProject = makeFixture(restrictedRoot);
const restricted = await startCodeServer({
  bin: opts['code-server'],
  vsix: path.resolve(opts.vsix),
  root: restrictedRoot,
  settings: { ...settings, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' },
  log: path.join(out, 'code-server-restricted.log'),
  trust: true,
});
const browser2 = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser2.newPage({ viewport: { width: 1400, height: 900 } });
  failureShot = (name) => page.screenshot({ path: path.join(out, `${name}.png`) });
  await page.goto(`${restricted.url}/?folder=${encodeURIComponent(restrictedProject)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await check('in Restricted Mode diagnostics stay and running lenses go', async () => {
    const banner = page.locator('.statusbar-item', { hasText: 'Restricted Mode' });
    await banner.first().waitFor({ timeout: 20_000 });
    await page.locator('.explorer-folders-view .monaco-list-row[aria-level="1"]', { hasText: 'dvc.yaml' }).first().click();
    const lenses = page.locator('.codelens-decoration a');
    await lenses.first().waitFor({ timeout: 20_000 });
    await sleep(1000);
    const titles = (await lenses.allInnerTexts()).map((text) => text.trim());
    // The server still checks every pipeline file, opened or not.
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input.input').fill('>Problems: Focus on Problems View');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Focus on Problems' }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.locator('.markers-panel .monaco-list-row', { hasText: "unknown key 'outz'" }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(out, '09-restricted.png') });
    if (titles.some((title) => /Run (stage|experiment)/.test(title))) throw new Error(`running lenses shown: ${titles.join(' | ')}`);
    if (titles.length === 0) throw new Error('no read-only lens either');
    return `lenses: ${titles.join(' | ')}`;
  });

} finally {
  await browser2.close().catch(() => undefined);
  stopCodeServer(restricted.child);
  fs.rmSync(restrictedRoot, { recursive: true, force: true });
}

// A third session whose retort.path does not run.
const missingRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-vscode-e2e-missing-'));
const missingProject = makeFixture(missingRoot);
const missing = await startCodeServer({
  bin: opts['code-server'],
  vsix: path.resolve(opts.vsix),
  root: missingRoot,
  settings: { ...settings, 'retort.path': '/nonexistent/retort' },
  log: path.join(out, 'code-server-missing.log'),
});
const browser3 = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser3.newPage({ viewport: { width: 1400, height: 900 } });
  failureShot = (name) => page.screenshot({ path: path.join(out, `${name}.png`) });
  await page.goto(`${missing.url}/?folder=${encodeURIComponent(missingProject)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await check('a retort.path that does not run gets install instructions', async () => {
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: '/nonexistent/retort' }).first();
    await toast.waitFor({ timeout: 30_000 });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    await page.screenshot({ path: path.join(out, '13-missing-binary.png') });
    for (const needle of ['cargo install', 'Open Settings']) {
      if (!text.includes(needle)) throw new Error(`the message lacks '${needle}': ${text}`);
    }
    return text.slice(0, 200);
  });
} finally {
  await browser3.close().catch(() => undefined);
  stopCodeServer(missing.child);
  fs.rmSync(missingRoot, { recursive: true, force: true });
}

const count = (status) => results.filter((result) => result.status === status).length;
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ project, results }, null, 2));
console.log(`vscode-e2e: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
fs.rmSync(root, { recursive: true, force: true });
process.exit(count('failed') > 0 ? 1 : 0);
