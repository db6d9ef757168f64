// Server commands allowed in an untrusted workspace. Reading the project is
// safe, but anything that runs stage commands, writes files or moves
// git refs is not, because an untrusted dvc.yaml decides what runs.

const READ_ONLY = new Set(['retort.check', 'retort.status', 'retort.exp.diff', 'retort.exp.show']);

export function isReadOnlyCommand(command: string): boolean {
  return READ_ONLY.has(command);
}

/// Client commands that only read, so they stay available without trust.
const READ_ONLY_CLIENT = new Set(['retort.showExperiments', 'retort.showPlots', 'retort.diff', 'retort.showOutput']);

export function isReadOnlyClientCommand(command: string): boolean {
  return READ_ONLY_CLIENT.has(command);
}
