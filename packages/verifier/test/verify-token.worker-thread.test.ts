// The whole verifier suite again, every token first checked by fast-jwt on a worker thread;
// verify-token.test.ts runs it on this thread and verify-token.thread-pool.test.ts with jose alone.
import { suite } from './helpers.ts';

suite.verifyOn = 'worker-thread';
await import('./verify-token.test.ts');
