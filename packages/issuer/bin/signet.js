#!/usr/bin/env node
// The `signet` CLI runs its TypeScript directly, like the rest of the repo: tsx compiles on load.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
