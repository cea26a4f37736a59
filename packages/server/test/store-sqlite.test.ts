import { SQLITE } from './backends.ts';
import { describeStoreConformance } from './store-conformance.ts';

describeStoreConformance(SQLITE);
