// The whole verifier suite again, every signature checked by jose on WebCrypto's thread pool;
// verify-token.test.ts runs it with fast-jwt on this thread. Both must give the same answers.
import { suite } from './helpers.ts';

suite.verifyOn = 'thread-pool';
await import('./verify-token.test.ts');
