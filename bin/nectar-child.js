#!/usr/bin/env node
'use strict';
require('./register');
require('../src/runtime/child.ts').childMain();
