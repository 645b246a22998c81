// Writes schema/laambda.schema.json (the JSON Schema editors use for laambda.json) from the zod
// schema in src/build/manifest.ts. Run after changing that schema:
//   node_modules/.bin/node scripts/generate-schema.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderManifestSchema } from '../src/build/manifest.ts';

const target = fileURLToPath(new URL('../schema/laambda.schema.json', import.meta.url));
mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, renderManifestSchema());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
