import { SignetError } from '../core/authentication-error.ts';
import { memoryStorage } from '../core/memory-storage.ts';
import { Signet } from './index.ts';

// The script-tag build: `<script src="signet.iife.js">` then `Signet.init({ … })`.
(globalThis as { Signet?: unknown }).Signet = { ...Signet, memoryStorage, SignetError };
