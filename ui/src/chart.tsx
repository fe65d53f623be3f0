/**
 * A time-series chart on uPlot (canvas, ~50 KB, fast with thousands of points). The x axis is in
 * the browser's zone (uPlot formats with the local zone by default). The figure carries a text
 * summary for screen readers.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: number[];
}

export function TimeChart({ title, times, series, unit, summary, height = 180 }: { title: string; times: number[]; series: ChartSeries[]; unit: (v: number) => string; summary: string; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = series.map((s) => s.label).join('|');
  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const opts: uPlot.Options = {
      width: Math.max(300, node.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#5b6472', grid: { stroke: '#eef0f3' } },
        { stroke: '#5b6472', grid: { stroke: '#eef0f3' }, values: (_u, vals) => vals.map((v) => unit(v)), size: 64 },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false }, spanGaps: false, ...(s.dash ? { dash: s.dash } : {}), value: (_u: uPlot, v: number | null) => (v === null ? '—' : unit(v)) }))],
    };
    const u = new uPlot(opts, [times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData, node);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(300, node.clientWidth), height }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, height]);
  useEffect(() => {
    plot.current?.setData([times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={el} className="chart-canvas" aria-hidden="true" />
      <p className="sr-only">{summary}</p>
    </figure>
  );
}
