// Renames the functions a wasm module imports from its wasm-bindgen glue to short names, in the
// module and in the glue alike: `node scripts/minify-imports.mjs pkg/sign/sign_bg.wasm pkg/sign/sign.js`.
//
// wasm-bindgen names each import `__wbg_<name>_<16 hex digits>`; the names are written twice
// (the wasm's import section and the glue's imports object), and the hex digits do not
// compress. Renamed to `a`, `b`, … they cost almost nothing: -0.4 KB gzip for /sign. Nothing
// else refers to them. The build fails if the glue does not hold each name exactly once as a
// key of its imports object, so a change of wasm-bindgen's output cannot go unnoticed.
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, gluePath] = process.argv.slice(2);
const bytes = readFileSync(wasmPath);
let glue = readFileSync(gluePath, 'utf8');

/** Unsigned LEB128 at `at`: [value, next offset]. */
function uleb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, at];
    shift += 7;
  }
}

function encodeUleb(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

const name = (s) => [...encodeUleb(Buffer.byteLength(s)), ...Buffer.from(s)];

/** `a`…`z`, `A`…`Z`, then `a0`, `a1`…: short, distinct, valid JS property names. */
function shortName(i) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return i < letters.length ? letters[i] : letters[i % letters.length] + Math.floor(i / letters.length - 1).toString(36);
}

if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${wasmPath}: not a wasm module`);
const out = [bytes.subarray(0, 8)];
let at = 8;
let renamed = 0;
while (at < bytes.length) {
  const id = bytes[at];
  const [size, body] = uleb(bytes, at + 1);
  const end = body + size;
  if (id !== 2) {
    out.push(bytes.subarray(at, end));
    at = end;
    continue;
  }
  // The import section: module name, field name, then the import's description.
  const section = [];
  let [count, p] = uleb(bytes, body);
  section.push(...encodeUleb(count));
  while (count-- > 0) {
    let len;
    [len, p] = uleb(bytes, p);
    const module = bytes.subarray(p, p + len).toString();
    p += len;
    [len, p] = uleb(bytes, p);
    const field = bytes.subarray(p, p + len).toString();
    p += len;
    const descStart = p;
    const kind = bytes[p++];
    if (kind === 0) [, p] = uleb(bytes, p); // function: type index
    else throw new Error(`${wasmPath}: import ${module}.${field} is not a function; update scripts/minify-imports.mjs`);
    // Every import is renamed, so no short name can meet an import keeping its own.
    if (!field.startsWith('__wbg') && !field.startsWith('__wbindgen')) {
      throw new Error(`${wasmPath}: import ${module}.${field} is not wasm-bindgen's; update scripts/minify-imports.mjs`);
    }
    const next = shortName(renamed++);
    const key = new RegExp(`(?<=[{,]\\s*)${field}(?=\\s*:)`, 'g');
    const hits = glue.match(key)?.length ?? 0;
    if (hits !== 1) throw new Error(`${gluePath}: import ${field} appears ${hits} times as a key; update scripts/minify-imports.mjs`);
    glue = glue.replace(key, next);
    section.push(...name(module), ...name(next), ...bytes.subarray(descStart, p));
  }
  if (p !== end) throw new Error(`${wasmPath}: import section not read to its end`);
  out.push(Buffer.from([2, ...encodeUleb(section.length), ...section]));
  at = end;
}
writeFileSync(wasmPath, Buffer.concat(out));
writeFileSync(gluePath, glue);
