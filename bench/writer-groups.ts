/*
 * How busy a Signet server's ingestion writer was during a round, from its /metrics: the writer
 * writes one group at a time, so the seconds its groups held it, over the round's seconds, say
 * whether it is the serial stage that caps throughput (near 1) while the event loop idles.
 */

export interface WriterSnapshot {
  groups: number;
  records: number;
  seconds: number;
  commits: number;
  commitSeconds: number;
}

export interface WriterShares {
  /** Share of the round the writer held a group: 1 means it never waited for work. */
  busy: number;
  /** Share of that time spent in COMMIT (WAL writes, fsync); null on PostgreSQL. */
  commitShare: number | null;
  batchesPerGroup: number;
  /** Milliseconds the writer held each group, on average (writer-limit.ts fits it to the size). */
  msPerGroup: number;
}

/**
 * The writer's counters now, read from the server of `url`, or null for a server without them
 * (bare, or an older checkout).
 */
export async function writerSnapshot(url: string): Promise<WriterSnapshot | null> {
  const text = await fetch(new URL('/metrics', url))
    .then((res) => (res.ok ? res.text() : ''))
    .catch(() => '');
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const groups = value('signet_store_group_records_count');
  if (Number.isNaN(groups)) return null;
  return {
    groups,
    records: value('signet_store_group_records_sum'),
    seconds: value('signet_store_group_seconds_sum'),
    commits: value('signet_store_commit_seconds_count'),
    commitSeconds: value('signet_store_commit_seconds_sum'),
  };
}

/** What the writer did between two snapshots taken `seconds` apart. */
export function writerShares(
  before: WriterSnapshot | null,
  after: WriterSnapshot | null,
  seconds: number,
): WriterShares | null {
  if (!before || !after || after.groups === before.groups) return null;
  const held = after.seconds - before.seconds;
  const commit = after.commitSeconds - before.commitSeconds;
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    busy: round2(held / seconds),
    // PostgreSQL times no COMMIT of its own: its group statement commits in the same round trip.
    commitShare: after.commits > before.commits && held > 0 ? round2(commit / held) : null,
    batchesPerGroup:
      Math.round(((after.records - before.records) / (after.groups - before.groups)) * 10) / 10,
    msPerGroup: Math.round((held / (after.groups - before.groups)) * 1e6) / 1e3,
  };
}
