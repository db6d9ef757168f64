// Turns what the user types after "Run Experiment" into the `set` list the
// server's `retort.exp.run` and `retort.exp.queue` take. Users paste either
// the command-line form (`-S lr=0.1 -S epochs=5`) or a plain list
// (`lr=0.1, epochs=5`), and both mean the same overrides.

export interface ParsedOverrides {
  set: string[];
  /// Why the text could not be read, naming the piece at fault.
  error?: string;
}

/// Splits on whitespace and commas outside quotes, keeping quoted text whole
/// so that `msg="a, b"` stays one override.
function tokens(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
      else current += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
    } else if (/\s|,/.test(char)) {
      if (current) out.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current) out.push(current);
  return out;
}

export function parseOverrides(text: string): ParsedOverrides {
  const set: string[] = [];
  const parts = tokens(text);
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i];
    if (part === '-S' || part === '--set-param') {
      const next = parts[i + 1];
      if (next === undefined) {
        return { set, error: `'${part}' needs a value such as 'train.lr=0.1'` };
      }
      part = next;
      i++;
    } else if (part.startsWith('--set-param=')) {
      part = part.slice('--set-param='.length);
    } else if (part.startsWith('-S') && part.length > 2) {
      part = part.slice(2);
    }
    const eq = part.indexOf('=');
    if (eq <= 0) {
      return { set, error: `'${part}' is not an override; write key=value, for example 'train.lr=0.1'` };
    }
    set.push(part);
  }
  return { set };
}
