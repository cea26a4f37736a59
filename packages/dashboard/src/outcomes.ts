import type { AuthOutcome, AuthStatsRow } from '@signet/protocol';

/* What the auth outcome counters mean, and the sums the pages show. */

export const OUTCOME_LABEL: Record<AuthOutcome, string> = {
  verified: 'Verified',
  unverified: 'Unverified (optional mode)',
  rejected: 'Rejected (required mode)',
  skipped: 'Not checked (mode disabled)',
  anonymous: 'Anonymous',
};

export const OUTCOME_COLOR: Record<AuthOutcome, string> = {
  verified: '#1a7f37',
  unverified: '#bf8700',
  rejected: '#cf222e',
  skipped: '#8c959f',
  anonymous: '#b6c2cf',
};

// Distinct colours for failure codes in the stacked chart, in a fixed order.
const CODE_COLORS = ['#cf222e', '#8250df', '#bc4c00', '#0969da', '#953800', '#bf3989', '#6e7781', '#116329'];
export function codeColor(code: string, codes: string[]): string {
  return CODE_COLORS[codes.indexOf(code) % CODE_COLORS.length] ?? '#cf222e';
}

export interface ReasonCount {
  code: string;
  reason: string;
  batches: number;
  events: number;
}

/** Failure rows summed by code and reason, most batches first. */
export function failureReasons(rows: AuthStatsRow[], outcomes: AuthOutcome[]): ReasonCount[] {
  const sums = new Map<string, ReasonCount>();
  for (const r of rows) {
    if (!outcomes.includes(r.outcome) || r.code === null) continue;
    const key = `${r.code}/${r.reason}`;
    const sum = sums.get(key) ?? { code: r.code, reason: r.reason ?? '', batches: 0, events: 0 };
    sum.batches += r.batches;
    sum.events += r.events;
    sums.set(key, sum);
  }
  return [...sums.values()].sort((a, b) => b.batches - a.batches || a.code.localeCompare(b.code));
}

/** Hour starts (ms) from `since` for `hours` hours, oldest first. */
export function hourSlots(since: string, hours: number): number[] {
  const start = Date.parse(since);
  return Array.from({ length: hours }, (_, i) => start + i * 3_600_000);
}
