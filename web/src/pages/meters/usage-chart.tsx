import { useEffect, useRef } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import uPlot from 'uplot';

/** A bar-like line chart of usage per bucket (uPlot: small and fast; loaded only with this page). */
export default function UsageChart(props: { times: number[]; values: number[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const chart = new uPlot(
      {
        width: Math.max(320, host.current.clientWidth || 720),
        height: 240,
        series: [{}, { label: props.label, stroke: '#635bff', fill: 'rgba(99,91,255,0.15)', paths: uPlot.paths.stepped!({ align: 1 }) }],
        axes: [{}, { size: 60 }],
      },
      [props.times, props.values],
      host.current,
    );
    return () => chart.destroy();
  }, [props.times, props.values, props.label]);
  return <div ref={host} class="chart" role="img" aria-label={`${props.label} per bucket`} />;
}
