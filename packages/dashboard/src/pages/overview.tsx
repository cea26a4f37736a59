import type { AuthOutcome } from '@signet/protocol';
import { useMemo } from 'preact/hooks';
import { api } from '../api.ts';
import { BarChart } from '../components/bar-chart.tsx';
import { Empty, Load } from '../components/status.tsx';
import { count, dateTime, percent, plural } from '../format.ts';
import { failureReasons, OUTCOME_COLOR, OUTCOME_LABEL } from '../outcomes.ts';
import { useResource } from '../use-resource.ts';

const SHARE_OUTCOMES: AuthOutcome[] = ['verified', 'unverified', 'rejected'];

/** Traffic now, how much of it is verified, why the rest failed, and which SDKs send it. */
export function OverviewPage({ appId }: { appId: string }) {
  const data = useResource(async () => {
    const [overview, stats] = await Promise.all([api.overview(appId), api.authStats(appId, 24)]);
    return { overview, stats };
  }, [appId]);
  return (
    <Load resource={data} what="the overview">
      {({ overview, stats }) => <Overview overview={overview} stats={stats} />}
    </Load>
  );
}

function Overview({
  overview,
  stats,
}: {
  overview: Awaited<ReturnType<typeof api.overview>>;
  stats: Awaited<ReturnType<typeof api.authStats>>;
}) {
  const points = overview.eventsPerMinute.points;
  const total = points.reduce((s, p) => s + p.events, 0);
  const chart = useMemo(
    () => ({
      labels: points.map((p) =>
        new Date(p.minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      ),
      series: [{ label: 'Events stored', color: '#0969da', values: points.map((p) => p.events) }],
    }),
    [points],
  );
  const checked = SHARE_OUTCOMES.reduce((s, o) => s + (stats.totals[o]?.events ?? 0), 0);
  const reasons = failureReasons(stats.rows, ['unverified', 'rejected']).slice(0, 5);
  const versions = overview.sdkVersions.versions;

  return (
    <div class="grid">
      <section class="card wide" aria-labelledby="epm">
        <h2 id="epm">Events per minute</h2>
        <p class="muted">Last 60 minutes: {plural(total, 'event')} stored.</p>
        {total === 0 ? (
          <Empty>
            <p>No events in the last hour.</p>
          </Empty>
        ) : (
          <BarChart
            labels={chart.labels}
            series={chart.series}
            summary={`${total} events stored in the last 60 minutes`}
          />
        )}
      </section>

      <section class="card" aria-labelledby="shares">
        <h2 id="shares">Checked events, last 24 h</h2>
        {checked === 0 ? (
          <Empty>
            <p>No token was checked in the last 24 hours (mode disabled, or no identified traffic).</p>
          </Empty>
        ) : (
          <>
            <div class="share-bar" aria-hidden="true">
              {SHARE_OUTCOMES.map((o) => (
                <span
                  key={o}
                  style={{
                    width: `${((stats.totals[o]?.events ?? 0) / checked) * 100}%`,
                    background: OUTCOME_COLOR[o],
                  }}
                />
              ))}
            </div>
            <dl class="shares">
              {SHARE_OUTCOMES.map((o) => (
                <div key={o}>
                  <dt>
                    <span class="swatch" style={{ background: OUTCOME_COLOR[o] }} />
                    {OUTCOME_LABEL[o]}
                  </dt>
                  <dd>
                    {percent((stats.totals[o]?.events ?? 0) / checked)}{' '}
                    <span class="muted">({count(stats.totals[o]?.events ?? 0)} events)</span>
                  </dd>
                </div>
              ))}
            </dl>
          </>
        )}
        <p class="muted small">
          Also {plural(stats.totals.skipped?.events ?? 0, 'event')} not checked and{' '}
          {plural(stats.totals.anonymous?.events ?? 0, 'anonymous event')}.
        </p>
      </section>

      <section class="card" aria-labelledby="reasons">
        <h2 id="reasons">Top failure reasons, last 24 h</h2>
        {reasons.length === 0 ? (
          <Empty>
            <p>No failed checks.</p>
          </Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Code and reason</th>
                  <th scope="col" class="num">
                    Batches
                  </th>
                </tr>
              </thead>
              <tbody>
                {reasons.map((r) => (
                  <tr key={`${r.code}/${r.reason}`}>
                    <td class="mono break">
                      {r.code}
                      <div class="muted">{r.reason}</div>
                    </td>
                    <td class="num">{count(r.batches)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card" aria-labelledby="sdks">
        <h2 id="sdks">SDK versions, last 24 h</h2>
        {versions.length === 0 ? (
          <Empty>
            <p>No events stored in the last 24 hours.</p>
          </Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">SDK</th>
                  <th scope="col" class="num">
                    Events
                  </th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {versions.map((v) => (
                  <tr key={`${v.name}@${v.version}`}>
                    <td class="mono">
                      {v.name ?? 'unknown'} {v.version ?? ''}
                    </td>
                    <td class="num">{count(v.events)}</td>
                    <td>{dateTime(v.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
