#!/usr/bin/env node
// The `signet` bin: a plain file that exists before the build, so npm links it at install time;
// it runs the compiled CLI (`npm run build`, which `npm ci` runs, makes dist/).
import '../dist/cli/main.js';
