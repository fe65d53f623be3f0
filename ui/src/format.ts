/** Display helpers: every time in the browser's own zone, numbers short and exact enough. */
const timeFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const zoneName = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function fmtTime(t: string | number | Date): string {
  return timeFmt.format(new Date(t));
}

export function fmtClock(t: string | number | Date): string {
  return clockFmt.format(new Date(t));
}

export function fmtUsd(n: number): string {
  if (n === 0) return '$0';
  if (n < 0.01) return `$${n.toPrecision(2)}`;
  return `$${n.toFixed(2)}`;
}

export function fmtPct(n: number): string {
  return `${(n * 100).toFixed(n > 0 && n < 0.01 ? 2 : 1)}%`;
}

export function fmtMs(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

/** Local midnight and first of the month, for "spend today / this month" in the browser's zone. */
export function localDayAndMonthStart(now = new Date()): { day: string; month: string } {
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const month = new Date(now.getFullYear(), now.getMonth(), 1);
  return { day: day.toISOString(), month: month.toISOString() };
}
