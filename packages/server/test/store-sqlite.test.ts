import { SQLITE, SQLITE_INLINE } from './backends.ts';
import { describeEventQueries } from './event-queries-conformance.ts';
import { describeStoreConformance } from './store-conformance.ts';

describeStoreConformance(SQLITE);
describeStoreConformance(SQLITE_INLINE);
describeEventQueries(SQLITE);
