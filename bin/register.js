'use strict';
// Loads TypeScript at run time (tsx) and lets chain files anywhere `import ... from 'nectar'`,
// resolving it to this package's public entry, so every chain shares one copy of the Task base.
const path = require('node:path');
const Module = require('node:module');

require('tsx/cjs/api').register();

const entry = path.resolve(__dirname, '../src/index.ts');
const original = Module._resolveFilename;
Module._resolveFilename = function resolveNectar(request, ...rest) {
  if (request === 'nectar') return entry;
  return original.call(this, request, ...rest);
};
