// The whole verifier suite again, every signature checked by jose alone on WebCrypto's thread
// pool: the reference that fast-jwt's answers (this thread, worker thread) must equal.
import { suite } from './helpers.ts';

suite.verifyOn = 'thread-pool';
await import('./verify-token.test.ts');
