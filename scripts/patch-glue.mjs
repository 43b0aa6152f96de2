// Patches wasm-bindgen's generated glue (scripts/build.sh runs it on each build's JS, before
// minifying it) so that the promise "every error is an OssError with a code" also holds for the
// errors wasm-bindgen raises itself, around the lifetime of exported objects:
//
// - a method called after `free()` (or after a `using` block ended) threw (or, async, rejected
//   with) wasm-bindgen's plain `Error("null pointer passed to rust")`; a call made while another call of the same object
//   runs (re-entrancy) threw "recursive use of an object detected…". Both now throw an OssError
//   with code "InvalidState" saying what happened (`wasmBindgenError` below);
// - a second `free()` threw the null-pointer error: it now does nothing;
// - `free()` while one of the object's calls was still running (an upload in flight) threw
//   "attempted to take ownership of Rust value while it was borrowed" and released the object
//   anyway once the call ended: `free()` now asks for exactly that (wasm-bindgen's
//   `allow_delayed`, which its FinalizationRegistry uses) without throwing.
//
// Each pattern must match the glue of the pinned wasm-bindgen version (Cargo.toml: =0.2.130);
// when one does not, the build fails here rather than shipping unpatched glue.
//
//   node scripts/patch-glue.mjs FILE.js

import fs from 'node:fs';

const file = process.argv[2];
let js = fs.readFileSync(file, 'utf8');

function replace(pattern, replacement, what, optional = false) {
  const n = (js.match(pattern) || []).length;
  if (n === 0 && optional) return 0;
  if (n === 0) {
    console.error(`patch-glue: ${file}: no ${what} (wasm-bindgen's output changed?)`);
    process.exit(1);
  }
  js = js.replace(pattern, replacement);
  return n;
}

replace(
  /free\(\) \{\n(\s*)const ptr = this\.__destroy_into_raw\(\);\n\s*wasm\.(__wbg_\w+_free)\(ptr, 0\);/g,
  'free() {\n$1const ptr = this.__destroy_into_raw();\n$1if (ptr === 0) return;\n$1wasm.$2(ptr, 1);',
  'free() method',
);
replace(
  /(__wbg___wbindgen_throw_\w+: function\(arg0, arg1\) \{\n\s*)throw new Error\(getStringFromWasm0\(arg0, arg1\)\);/,
  '$1throw wasmBindgenError(getStringFromWasm0(arg0, arg1));',
  '__wbindgen_throw import',
);

// Every export call restores wasm's shadow-stack pointer when a JS exception escapes it (see
// guardExports below).
replace(
  /(function __wbg_finalize_init\(instance, module\) \{\n(?:.*\n)*?\s*)wasm = instance\.exports;/,
  '$1wasm = guardExports(instance.exports);',
  '__wbg_finalize_init',
);

// The same errors made into a rejection of an async method's promise (the full package only).
replace(
  /(__wbg_Error_\w+: function\(arg0, arg1\) \{\n\s*const ret = )Error\(getStringFromWasm0\(arg0, arg1\)\);/,
  '$1wasmBindgenError(getStringFromWasm0(arg0, arg1));',
  'Error import',
  true,
);

js += `
// Added by scripts/patch-glue.mjs: a JS exception that unwinds through wasm (a caller's getter or
// Proxy trap throwing inside an import wasm did not expect to throw, a detached buffer) skips the
// Rust epilogues that pop the shadow stack; each such call leaked about 1 KB of the 1 MiB stack
// until every later call trapped ("memory access out of bounds"). Each export call now puts the
// stack pointer back when an exception escapes it.
function guardExports(exports) {
  const sp = exports.__wbindgen_add_to_stack_pointer;
  if (typeof sp !== 'function') return exports;
  const guarded = {};
  for (const [name, f] of Object.entries(exports)) {
    guarded[name] = typeof f !== 'function' || name.startsWith('__wbindgen_') ? f : function (...args) {
      const top = sp(0);
      try {
        return f.apply(this, args);
      } catch (e) {
        sp(top - sp(0));
        throw e;
      }
    };
  }
  return guarded;
}

// Added by scripts/patch-glue.mjs: wasm-bindgen's errors about an object's lifetime as OssErrors.
function wasmBindgenError(message) {
  const freed = message.startsWith('null pointer');
  if (!freed && !/^(recursive use of an object|attempted to take ownership)/.test(message)) return new Error(message);
  const e = new Error(\`invalid state: this object \${freed ? 'was freed' : 'is busy with another of its calls'}\`);
  e.name = 'OssError';
  e.code = 'InvalidState';
  e.retryable = false;
  return e;
}
`;
fs.writeFileSync(file, js);
