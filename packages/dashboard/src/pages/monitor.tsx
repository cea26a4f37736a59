import { type AuthOutcome, JWT_ERRORS } from '@signet/protocol';
import { useMemo, useState } from 'preact/hooks';
import { type AuthStats, api } from '../api.ts';
import { BarChart, type BarSeries } from '../components/bar-chart.tsx';
import { Empty, Load } from '../components/status.tsx';
import { dateTime, plural } from '../format.ts';
import { codeColor, hourSlots, OUTCOME_COLOR, OUTCOME_LABEL } from '../outcomes.ts';
import { useResource } from '../use-resource.ts';

const RANGES = [
  { hours: 24, label: '24 hours' },
  { hours: 168, label: '7 days' },
];
const PASSING: AuthOutcome[] = ['verified', 'skipped', 'anonymous'];
const CODES = Object.keys(JWT_ERRORS);

/** Authentication outcomes per hour, and the newest failures with their reasons. */
export function MonitorPage({ appId }: { appId: string }) {
  const [hours, setHours] = useState(24);
  const [code, setCode] = useState('');
  const stats = useResource(() => api.authStats(appId, hours), [appId, hours]);
  const failures = useResource(() => api.failures(appId, code), [appId, code]);
  return (
    <div class="grid">
      <section class="card wide" aria-labelledby="outcomes-title">
        <div class="section-head">
          <h2 id="outcomes-title">Outcomes per hour (batches)</h2>
          <fieldset class="segmented">
            <legend class="visually-hidden">Period</legend>
            {RANGES.map((r) => (
              <label key={r.hours}>
                <input
                  type="radio"
                  name="range"
                  value={r.hours}
                  checked={hours === r.hours}
                  onChange={() => setHours(r.hours)}
                />
                <span>{r.label}</span>
              </label>
            ))}
          </fieldset>
        </div>
        <Load resource={stats} what="outcomes">
          {(data) => <OutcomeChart stats={data} />}
        </Load>
      </section>

      <section class="card wide" aria-labelledby="failures-title">
        <div class="section-head">
          <h2 id="failures-title">Newest failures</h2>
          <div class="field inline">
            <label for="failure-code">Code</label>
            <select id="failure-code" value={code} onChange={(e) => setCode(e.currentTarget.value)}>
              <option value="">All codes</option>
              {CODES.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
        </div>
        <Load resource={failures} what="failures">
          {({ failures: rows }) =>
            rows.length === 0 ? (
              <Empty>
                <p>{code ? `No ${code} failures kept.` : 'No failures kept. Every checked token passed.'}</p>
              </Empty>
            ) : (
              <div class="table-wrap">
                <table class="failures">
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Code</th>
                      <th scope="col">Reason</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Key id</th>
                      <th scope="col">Subject (sub)</th>
                      <th scope="col">User id</th>
                      <th scope="col">SDK</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((f, i) => (
                      // Failures have no id; the list is always replaced whole.
                      <tr key={i}>
                        <td>{dateTime(f.at)}</td>
                        <td class="mono">{f.code}</td>
                        <td class="mono">{f.reason}</td>
                        <td>{f.mode === 'required' ? 'rejected' : 'stored unverified'}</td>
                        <td class="mono break">{f.kid ?? '—'}</td>
                        <td class="mono break">{f.subject ?? '—'}</td>
                        <td class="mono break">{f.userId ?? '—'}</td>
                        <td class="mono">{f.sdk ? `${f.sdk.name} ${f.sdk.version}` : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Load>
      </section>
    </div>
  );
}

function OutcomeChart({ stats }: { stats: AuthStats }) {
  const chart = useMemo(() => {
    const slots = hourSlots(stats.since, stats.hours);
    const index = new Map(slots.map((t, i) => [t, i]));
    const failureCodes = [
      ...new Set(stats.rows.filter((r) => r.code !== null).map((r) => r.code as string)),
    ].sort();
    const series: BarSeries[] = [];
    const add = (label: string, color: string, match: (r: AuthStats['rows'][number]) => boolean) => {
      const values = slots.map(() => 0);
      let any = false;
      for (const r of stats.rows) {
        const i = index.get(Date.parse(r.hour));
        if (i === undefined || !match(r)) continue;
        values[i] = (values[i] ?? 0) + r.batches;
        any = true;
      }
      if (any) series.push({ label, color, values });
    };
    for (const o of PASSING) add(OUTCOME_LABEL[o], OUTCOME_COLOR[o], (r) => r.outcome === o);
    for (const c of failureCodes) {
      add(`Rejected · ${c}`, codeColor(c, failureCodes), (r) => r.outcome === 'rejected' && r.code === c);
      add(
        `Unverified · ${c}`,
        `${codeColor(c, failureCodes)}99`,
        (r) => r.outcome === 'unverified' && r.code === c,
      );
    }
    const short = stats.hours <= 24;
    const labels = slots.map((t) =>
      new Date(t).toLocaleString(
        [],
        short ? { hour: '2-digit', minute: '2-digit' } : { weekday: 'short', hour: '2-digit' },
      ),
    );
    return { labels, series };
  }, [stats]);

  const totals = Object.entries(stats.totals)
    .filter(([, t]) => t && t.batches > 0)
    .map(
      ([o, t]) =>
        `${plural(t?.batches ?? 0, 'batch', 'batches')} ${OUTCOME_LABEL[o as AuthOutcome].toLowerCase()}`,
    );
  if (chart.series.length === 0) {
    return (
      <Empty>
        <p>No batches in this period.</p>
      </Empty>
    );
  }
  const summary = `Since ${dateTime(stats.since)}: ${totals.join(', ')}.`;
  return (
    <>
      <BarChart labels={chart.labels} series={chart.series} summary={summary} />
      <p class="muted small">{summary}</p>
    </>
  );
}
