import { describe, expect, it } from 'vitest';
import { parseOverrides } from '../../src/model/overrides';
import { isReadOnlyCommand } from '../../src/model/trust';

describe('parseOverrides', () => {
  it('reads the command-line form with -S flags', () => {
    expect(parseOverrides('-S train.lr=0.1 -S epochs=5')).toEqual({ set: ['train.lr=0.1', 'epochs=5'] });
  });

  it('reads a comma separated list and glued flags', () => {
    expect(parseOverrides('lr=0.1, -Sepochs=5,--set-param=params.yaml:seed=1')).toEqual({
      set: ['lr=0.1', 'epochs=5', 'params.yaml:seed=1'],
    });
  });

  it('keeps quoted values whole', () => {
    expect(parseOverrides(`msg="a, b" name='x y'`)).toEqual({ set: ['msg=a, b', 'name=x y'] });
  });

  it('treats empty input as no overrides', () => {
    expect(parseOverrides('   ')).toEqual({ set: [] });
  });

  it('names the piece that is not an override', () => {
    const parsed = parseOverrides('lr=0.1 epochs');
    expect(parsed.set).toEqual(['lr=0.1']);
    expect(parsed.error).toContain("'epochs'");
    expect(parseOverrides('-S').error).toContain("'-S' needs a value");
  });
});

describe('trust', () => {
  it('lets only reading commands run without trust', () => {
    expect(isReadOnlyCommand('retort.exp.diff')).toBe(true);
    expect(isReadOnlyCommand('retort.exp.show')).toBe(true);
    expect(isReadOnlyCommand('retort.exp.run')).toBe(false);
    expect(isReadOnlyCommand('retort.repro')).toBe(false);
    expect(isReadOnlyCommand('retort.exp.remove')).toBe(false);
  });
});
