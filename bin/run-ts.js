#!/usr/bin/env node
'use strict';
// Run a TypeScript file with nectar's loader: `node bin/run-ts.js bench/run.ts`.
require('./register');
const file = require('node:path').resolve(process.argv[2]);
process.argv.splice(1, 1);
require(file);
