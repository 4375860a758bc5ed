#!/usr/bin/env node
'use strict';
require('./register');

// Once a command is done, the process gets a moment to drain and then exits: a task that left
// a timer or a socket open (or ignored its abort signal) must not keep `nectar` alive.
const LINGER_MS = 2000;
const exitSoon = () => setTimeout(() => process.exit(), LINGER_MS).unref();

require('../src/cli/main.ts').main(process.argv).then(
  (code) => {
    process.exitCode = code;
    exitSoon();
  },
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exitCode = 1;
    exitSoon();
  },
);
