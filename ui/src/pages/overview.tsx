/** Overview: the last hour of traffic (refreshing every 5 s), spend, and every target's breaker. */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '../api';
import type { Overview } from '../api';
import { TimeChart } from '../chart';
import type { ChartSeries } from '../chart';
import { BreakerBadge, ColumnHeads, Empty, ErrorBox, Loading, PageHeader, Stat } from '../components';
import { fmtClock, fmtMs, fmtPct, fmtUsd, localDayAndMonthStart } from '../format';

const COLORS = ['#1f6feb', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d'];

export function OverviewPage() {
  const q = useQuery({
    queryKey: ['overview'],
    refetchInterval: 5_000,
    queryFn: () => {
      const { day, month } = localDayAndMonthStart();
      return api<Overview>(`overview?day_start=${encodeURIComponent(day)}&month_start=${encodeURIComponent(month)}`);
    },
  });
  return (
    <>
      <PageHeader title="Overview">{q.data ? <span className="muted small">Updated {fmtClock(q.data.generated_at)} · refreshes every 5 s</span> : null}</PageHeader>
      {q.isPending ? <Loading what="the overview" /> : q.isError ? <ErrorBox error={q.error} retry={() => void q.refetch()} /> : <OverviewBody data={q.data} />}
    </>
  );
}

function OverviewBody({ data }: { data: Overview }) {
  const s = data.series;
  const times = useMemo(() => s.points.map((p) => p.t), [s.points]);
  const lastFull = s.points.length >= 2 ? s.points[s.points.length - 2]! : s.points[0];
  const providers = Object.keys(s.by_provider);
  const latency: ChartSeries[] = useMemo(
    () =>
      providers.flatMap((name, i) => {
        const pts = s.by_provider[name]!;
        const color = COLORS[i % COLORS.length]!;
        return [
          { label: `${name} p50`, values: pts.map((p) => p.p50_ms), color },
          { label: `${name} p99`, values: pts.map((p) => p.p99_ms), color, dash: [6, 4] },
        ];
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [s.by_provider],
  );
  const traffic = useMemo<ChartSeries[]>(() => [{ label: 'requests/s', values: s.points.map((p) => p.rps), color: COLORS[0]! }], [s.points]);
  const rates = useMemo<ChartSeries[]>(
    () => [
      { label: 'error rate', values: s.points.map((p) => (p.requests ? p.error_rate : null)), color: COLORS[4]! },
      { label: 'fallback rate', values: s.points.map((p) => (p.requests ? p.fallback_rate : null)), color: COLORS[1]! },
    ],
    [s.points],
  );
  return (
    <>
      <section className="cards" aria-label="Last hour">
        <Stat label="Requests/s (last minute)" value={(lastFull?.rps ?? 0).toFixed(2)} />
        <Stat label="Requests (last hour)" value={String(s.totals.requests)} />
        <Stat label="Error rate (last hour)" value={fmtPct(s.totals.error_rate)} tone={s.totals.error_rate > 0.05 ? 'bad' : undefined} />
        <Stat label="Fallback rate (last hour)" value={fmtPct(s.totals.fallback_rate)} tone={s.totals.fallback_rate > 0 ? 'warn' : undefined} testId="fallback-rate" />
        <Stat label="Fallbacks (last hour)" value={String(s.totals.fallbacks)} testId="fallbacks" />
        <Stat label="Spend today" value={fmtUsd(data.spend.today_usd)} />
        <Stat label="Spend this month" value={fmtUsd(data.spend.month_usd)} />
      </section>
      {s.totals.requests === 0 ? (
        <Empty title="No traffic in the last hour on this replica">Send a request through the gateway (or use the Playground) and the charts fill in within seconds.</Empty>
      ) : (
        <section className="charts" aria-label="Charts over the last hour">
          <TimeChart title="Requests per second" times={times} series={traffic} unit={(v) => v.toFixed(2)} summary={`Requests per second over the last hour; last full minute ${(lastFull?.rps ?? 0).toFixed(2)}.`} />
          <TimeChart title="Error and fallback rate" times={times} series={rates} unit={(v) => fmtPct(v)} summary={`Error rate ${fmtPct(s.totals.error_rate)} and fallback rate ${fmtPct(s.totals.fallback_rate)} over the last hour.`} />
          <TimeChart title="Latency per provider (p50 solid, p99 dashed)" times={times} series={latency} unit={(v) => fmtMs(v)} summary={`Latency per provider: ${providers.join(', ') || 'none'}.`} />
        </section>
      )}
      <section aria-labelledby="targets-h">
        <h2 id="targets-h">Targets and circuit breakers</h2>
        {data.targets.length === 0 ? (
          <Empty title="No targets yet">Add a provider and a model alias; its targets show here with their breaker state.</Empty>
        ) : (
          <table className="table">
            <ColumnHeads names={['Target', 'Used by', 'Breaker', 'Consecutive failures', 'Retry in']} />
            <tbody>
              {data.targets.map((t) => (
                <tr key={t.target}>
                  <td className="mono">{t.target}</td>
                  <td>{t.aliases.join(', ') || <span className="muted">direct</span>}</td>
                  <td>
                    <BreakerBadge state={t.state} override={t.override !== null} />
                    {t.override?.reason ? <span className="muted small"> {t.override.reason}</span> : null}
                  </td>
                  <td>{t.consecutive_failures}</td>
                  <td>{t.retry_in_ms !== undefined ? fmtMs(t.retry_in_ms) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
