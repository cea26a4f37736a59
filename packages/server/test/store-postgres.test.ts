import { POSTGRES } from './backends.ts';
import { describeEventQueries } from './event-queries-conformance.ts';
import { describeStoreConformance } from './store-conformance.ts';

// Skipped, with the reason printed, when no PostgreSQL answers at 127.0.0.1:5432; a failure
// instead under SIGNET_REQUIRE_POSTGRES=1 (CI).
describeStoreConformance(POSTGRES);
describeEventQueries(POSTGRES);
