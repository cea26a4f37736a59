import type { AuditLog } from './audit-log.ts';
import type { DataReader } from './data-reader.ts';
import type { EventRetention } from './event-retention.ts';
import type { IngestionWriter } from './ingestion-writer.ts';
import type { RegistryStore } from './registry-store.ts';
import type { StatisticsReader } from './statistics-reader.ts';
import type { UserEraser } from './user-eraser.ts';

/*
 * The store, cut by concern: the registry (settings, apps, keys, sessions), the ingestion writer,
 * the data and statistics readers, and the lifecycle below. SQLite and PostgreSQL implement each
 * part; `openStore` returns them together. A caller depends on the part it uses. Every method
 * either completes or throws; a backend that cannot reach its database throws
 * StorageUnavailableError, which the HTTP layer answers with 503.
 */

// The parts' row and input types, for callers that take the store's vocabulary from one module.
export type { AuditQuery, AuditRow, AuditToAppend } from './audit-log.ts';
export type { EventPosition, EventQuery, StoredEventRow, UserRow } from './data-reader.ts';
export type {
  BatchToStore,
  EventToStore,
  FailureToKeep,
  OutcomeToCount,
  RejectionToRecord,
  StoredBatch,
} from './ingestion-writer.ts';
export type { AddKeyResult, AppRow, KeyRow, RemoveKeyResult, UpdateJwtResult } from './registry-store.ts';
export type {
  AppActivityRow,
  FailureRow,
  MinuteCountRow,
  OutcomeRow,
  SdkVersionRow,
} from './statistics-reader.ts';
export type { ErasureCounts } from './user-eraser.ts';
export type {
  AuditLog,
  DataReader,
  EventRetention,
  IngestionWriter,
  RegistryStore,
  StatisticsReader,
  UserEraser,
};

/** Opening and closing the database, and what a start or a health check asks of it. */
export interface StoreLifecycle {
  /** Brings the schema up to date; safe to call on every start. */
  migrate(): Promise<void>;
  /** Cheap round trip used by /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every part of the store over one database: what `openStore` returns.
 *
 * @example
 * const store = openStore('sqlite:./signet.db');
 * await store.migrate();
 * const app = await buildApp({ store, adminToken });
 */
export interface Store
  extends StoreLifecycle,
    RegistryStore,
    IngestionWriter,
    DataReader,
    StatisticsReader,
    AuditLog,
    UserEraser,
    EventRetention {}
