// Starts code-server on a free loopback port with its own user data,
// extensions and config directories, after installing the .vsix.

import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startCodeServer({ bin, vsix, root, settings, log, trust = false }) {
  const userData = path.join(root, 'user-data');
  const extensions = path.join(root, 'extensions');
  const config = path.join(root, 'config.yaml');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(root, 'xdg-config'), XDG_DATA_HOME: path.join(root, 'xdg-data') };
  execFileSync(bin, [...common, '--install-extension', vsix], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await freePort();
  const out = fs.openSync(log, 'w');
  const child = spawn(
    bin,
    [
      ...common,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      // With trust on, a folder nobody trusted opens in Restricted Mode.
      ...(trust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
    ],
    { env, stdio: ['ignore', out, out], detached: true },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return { url, child };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopCodeServer(child);
  throw new Error(`code-server did not start on ${url}; see ${log}`);
}

export function stopCodeServer(child) {
  if (child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
