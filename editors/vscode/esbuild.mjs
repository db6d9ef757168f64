// Bundles the extension (Node, CommonJS, `vscode` left external) and the two
// webview scripts (browser IIFEs), so the .vsix needs no node_modules.
import * as esbuild from 'esbuild';

const production = !process.argv.includes('--dev');
const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'warning' };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
  }),
  esbuild.build({
    ...common,
    entryPoints: { experiments: 'src/webview/experiments.ts', plots: 'src/webview/plots.ts' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
  }),
]);
