#!/usr/bin/env node
// The laambda command. npm scripts and npx put the project's Node 24 first on PATH.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `✘ ERR_NODE_VERSION: laambda needs Node.js 22 or later, this is ${process.version}\n` +
      '  fix: run it through npx laambda or npm run laambda (they use the bundled Node 24)\n',
  );
  process.exit(3);
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
