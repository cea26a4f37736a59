// The whole verifier suite again, every signature checked on libuv's thread pool (node:crypto,
// then jose for anything but a yes); verify-token.test.ts runs it with fast-jwt on this thread.
// Both must give the same answers.
import { suite } from './helpers.ts';

suite.verifyOn = 'thread-pool';
await import('./verify-token.test.ts');
