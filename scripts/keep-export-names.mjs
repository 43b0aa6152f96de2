// After the glue's identifiers are minified (scripts/build.sh), gives each exported class and
// function its public name back (`Signer.name === "Signer"`, `new OssClient()` logs as
// OssClient): `node scripts/keep-export-names.mjs pkg/sign/sign.js`. Fails the build when the
// glue has no single `export{…}` clause to read, so a change of esbuild's output cannot go
// unnoticed.
import { readFileSync, writeFileSync } from 'node:fs';

const path = process.argv[2];
const glue = readFileSync(path, 'utf8');
const clauses = glue.match(/export\s*\{[^}]*\}/g) ?? [];
if (clauses.length !== 1) throw new Error(`${path}: expected one export clause, found ${clauses.length}`);
const pairs = clauses[0]
  .replace(/^export\s*\{|\}$/g, '')
  .split(',')
  .map((p) => p.trim().split(/\s+as\s+/))
  .map(([local, name]) => [local, name ?? local])
  .filter(([local, name]) => name !== 'default' && local !== name);
if (pairs.length === 0) {
  process.exit(0);
}
const list = pairs.map(([local, name]) => `[${local},${JSON.stringify(name)}]`).join(',');
const restore = `for(const[f,n]of[${list}])Object.defineProperty(f,"name",{value:n});\n`;
writeFileSync(path, glue.replace(clauses[0], restore + clauses[0]));
