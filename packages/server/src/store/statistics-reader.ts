import type { AuthOutcome } from '@signet/protocol';
import type { FailureToKeep } from './ingestion-writer.ts';

export interface OutcomeRow {
  hour: number;
  outcome: AuthOutcome;
  code: string | null;
  reason: string | null;
  batches: number;
  events: number;
}

export interface FailureRow extends FailureToKeep {
  at: number;
}

/** Batches and events of one app with one outcome, summed over a window. */
export interface AppActivityRow {
  appId: string;
  outcome: AuthOutcome;
  batches: number;
  events: number;
}

export interface MinuteCountRow {
  /** Start of the minute, ms. */
  minute: number;
  events: number;
}

export interface SdkVersionRow {
  name: string | null;
  version: string | null;
  events: number;
  lastSeen: number;
}

/**
 * The dashboard's figures: authentication outcomes and failures, traffic per app and per
 * minute, SDK versions.
 *
 * @example
 * const lastDay = await statistics.authStats('app_1', hourOf(Date.now()) - 23 * 3_600_000);
 */
export interface StatisticsReader {
  authStats(appId: string, sinceHour: number): Promise<OutcomeRow[]>;
  /** The newest failures, optionally of one JWT error code only. */
  authFailures(appId: string, limit: number, code?: string): Promise<FailureRow[]>;
  /** Every app's outcome totals from `sinceHour` on (for the dashboard's app list). */
  activity(sinceHour: number): Promise<AppActivityRow[]>;
  /** Stored events per minute from `since` (ms) on; minutes without events are absent. */
  eventsPerMinute(appId: string, since: number): Promise<MinuteCountRow[]>;
  /** The SDK name/version pairs that sent stored events from `since` (ms) on, most events first. */
  sdkVersions(appId: string, since: number): Promise<SdkVersionRow[]>;
}
