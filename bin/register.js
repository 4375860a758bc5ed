'use strict';
// Loads TypeScript at run time (tsx) and lets chain files anywhere `import ... from 'nectar'`,
// resolving it to this package's public entry, so every chain shares one copy of the Task base.
const path = require('node:path');
const Module = require('node:module');

require('tsx/cjs/api').register();

const entries = {
  nectar: path.resolve(__dirname, '../src/index.ts'),
  'nectar/testing': path.resolve(__dirname, '../src/testing/index.ts'),
};
const original = Module._resolveFilename;
Module._resolveFilename = function resolveNectar(request, ...rest) {
  if (Object.prototype.hasOwnProperty.call(entries, request)) return entries[request];
  return original.call(this, request, ...rest);
};
