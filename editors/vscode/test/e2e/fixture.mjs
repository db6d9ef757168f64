// The fixture project of the end-to-end test: a git repository with a DVC
// pipeline whose stage reads params.yaml and writes a metric and a plot,
// plus a broken pipeline file that the test removes before running.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const PIPELINE = `stages:
  train:
    cmd: python3 train.py
    deps:
      - train.py
    params:
      - train.lr
      - train.epochs
    metrics:
      - metrics.json:
          cache: false
    plots:
      - loss.csv:
          cache: false
          x: step
          y: loss
`;

// Reads the two params without a YAML library, so only python3 is needed.
// Writes loss.csv after every step and pauses, so a run lasts a few seconds
// and the editor can show it live.
const TRAIN = `import json, os, re, time
text = open("params.yaml").read()
lr = float(re.search(r"lr: *([0-9.e-]+)", text).group(1))
epochs = int(re.search(r"epochs: *([0-9]+)", text).group(1))
loss = [1.0 / (1 + lr * (step + 1)) for step in range(epochs)]
pause = float(os.environ.get("TRAIN_PAUSE", "1.5"))
for done in range(1, epochs + 1):
    with open("loss.csv.tmp", "w") as out:
        out.write("step,loss\\n")
        for step, value in enumerate(loss[:done]):
            out.write(f"{step},{value}\\n")
    os.replace("loss.csv.tmp", "loss.csv")
    time.sleep(pause)
json.dump({"loss": loss[-1], "acc": 1 - loss[-1]}, open("metrics.json", "w"))
`;

export const BROKEN = 'stages:\n  broken:\n    cmd: echo hi\n    outz: [x]\n';

function git(dir, ...args) {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

export function makeFixture(root) {
  const dir = path.join(root, 'project');
  fs.mkdirSync(path.join(dir, '.dvc'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.dvc', 'config'), '');
  fs.writeFileSync(path.join(dir, '.dvc', '.gitignore'), '/tmp\n/cache\n');
  fs.writeFileSync(path.join(dir, 'dvc.yaml'), PIPELINE);
  fs.writeFileSync(path.join(dir, 'params.yaml'), 'train:\n  lr: 0.1\n  epochs: 3\n');
  fs.writeFileSync(path.join(dir, 'train.py'), TRAIN);
  // Committed results, so HEAD has metrics and plot data.
  execFileSync('python3', ['train.py'], { cwd: dir, env: { ...process.env, TRAIN_PAUSE: '0' } });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, '-c', 'user.name=Retort E2E', '-c', 'user.email=e2e@localhost', 'add', '-A');
  git(dir, '-c', 'user.name=Retort E2E', '-c', 'user.email=e2e@localhost', 'commit', '-q', '-m', 'fixture');
  // Not committed: a changed param, so the workspace differs from HEAD.
  fs.writeFileSync(path.join(dir, 'params.yaml'), 'train:\n  lr: 0.3\n  epochs: 3\n');
  // Not committed: the test deletes it before running the experiment.
  fs.mkdirSync(path.join(dir, 'broken'));
  fs.writeFileSync(path.join(dir, 'broken', 'dvc.yaml'), BROKEN);
  return dir;
}

/// Experiment refs (refs/exps/<2 hex>/<rest of baseline>/<name>), leaving
/// out the executor's and the queue's bookkeeping refs.
export function experimentRefs(dir) {
  return git(dir, 'for-each-ref', '--format=%(refname)', 'refs/exps/')
    .split('\n')
    .filter((ref) => /^refs\/exps\/[0-9a-f]{2}\/[0-9a-f]{38}\/./.test(ref));
}

export function branches(dir) {
  return git(dir, 'branch', '--format=%(refname:short)').split('\n').filter(Boolean);
}
