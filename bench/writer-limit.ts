/*
 * The most one writer can take. Both backends write one group at a time, and a group holds the
 * writer for a fixed time plus a time per batch; a quicker writer only makes smaller groups, so
 * with enough connections throughput tends to 1 / (time per batch), whatever else is sped up.
 * Fitted by least squares over the rounds of one batch shape at different connection counts
 * (8, 32, 64: groups of different sizes), so each run says how far its figure is from that limit.
 */

export interface WriterRound {
  server: string;
  batchesPerSecond: number;
  batchesPerGroup: number;
  msPerGroup: number;
}

export interface WriterLimit {
  server: string;
  rounds: number;
  'fixed ms per group': number;
  'ms per batch': number;
  /** 1 / (time per batch): the writer's limit with unlimited connections. */
  'limit batches/s': number;
  'limit over bare': number;
  /** The fastest of those rounds: a line that bends (PostgreSQL's) can put the limit below it. */
  'best round batches/s': number;
}

/**
 * Per server, the line through its rounds' (batches per group, ms per group), or nothing when
 * its groups were too alike in size to tell the fixed part from the per-batch part.
 */
export function writerLimits(rounds: WriterRound[], bare: number): WriterLimit[] {
  const servers = [...new Set(rounds.map((r) => r.server))];
  return servers.flatMap((server) => {
    const mine = rounds.filter((r) => r.server === server);
    const sizes = mine.map((r) => r.batchesPerGroup);
    if (mine.length < 3 || Math.max(...sizes) - Math.min(...sizes) < 2) return [];
    const n = mine.length;
    const meanX = sizes.reduce((a, b) => a + b, 0) / n;
    const meanY = mine.reduce((a, r) => a + r.msPerGroup, 0) / n;
    const sxy = mine.reduce((a, r) => a + (r.batchesPerGroup - meanX) * (r.msPerGroup - meanY), 0);
    const sxx = mine.reduce((a, r) => a + (r.batchesPerGroup - meanX) ** 2, 0);
    const perBatch = sxy / sxx;
    if (!(perBatch > 0)) return [];
    const limit = 1000 / perBatch;
    return [
      {
        server,
        rounds: n,
        'fixed ms per group': Math.round((meanY - perBatch * meanX) * 100) / 100,
        'ms per batch': Math.round(perBatch * 1000) / 1000,
        'limit batches/s': Math.round(limit),
        'limit over bare': bare > 0 ? Number((limit / bare).toFixed(3)) : Number.NaN,
        'best round batches/s': Math.max(...mine.map((r) => r.batchesPerSecond)),
      },
    ];
  });
}
