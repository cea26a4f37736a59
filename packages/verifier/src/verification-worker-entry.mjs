// A worker thread does not inherit tsx's module hooks from the thread that started it:
// register them here, as bin/signet.js does for the CLI, then load the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./verification-worker.ts');
