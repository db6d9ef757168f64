// Mapping from a server lens command to the extension command that runs it.
// Running an experiment from a lens prompts for overrides like the palette
// command does. Every other server command goes through `retort.execute`,
// which adds progress, the status bar and the trust check.

export interface LensTarget {
  command: string;
  arguments: unknown[];
}

export function lensTarget(serverCommand: string, args: unknown[]): LensTarget {
  const first = args[0] ?? {};
  switch (serverCommand) {
    case 'retort.exp.run':
      return { command: 'retort.runExperiment', arguments: [first] };
    case 'retort.exp.queue':
      return { command: 'retort.queueExperiment', arguments: [first] };
    default:
      return { command: 'retort.execute', arguments: [serverCommand, first] };
  }
}
