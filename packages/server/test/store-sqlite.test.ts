import { SQLITE } from './backends.ts';
import { describeEventQueries } from './event-queries-conformance.ts';
import { describeStoreConformance } from './store-conformance.ts';

describeStoreConformance(SQLITE);
describeEventQueries(SQLITE);
