import { useEffect, useRef } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import uPlot from 'uplot';

export interface UsageSeries {
  label: string;
  values: number[];
}

/** Distinct colours for up to eight series (the first is the console's accent); past eight, dashed lines in the same colours. */
const COLOURS = ['#635bff', '#0e9f6e', '#d97706', '#db2777', '#0284c7', '#7c3aed', '#65a30d', '#57534e'];
const DASHES = [undefined, [6, 3], [2, 2]];

/** The end of the last bucket (buckets are evenly spaced). */
const closing = (times: number[]) => (times.at(-1) ?? 0) + (times.length > 1 ? times.at(-1)! - times.at(-2)! : 3600);

/**
 * Usage per bucket as stepped lines, one per series, each drawn from zero: split, not stacked, since
 * a `last` meter's values and negative corrections do not add up. uPlot: small and fast; its chunk
 * loads only with a page that draws a chart.
 */
export default function UsageChart(props: { times: number[]; series: UsageSeries[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const single = props.series.length === 1;
    const chart = new uPlot(
      {
        width: Math.max(320, host.current.clientWidth || 720),
        height: 240,
        series: [
          {},
          ...props.series.map((s, i) => {
            const colour = COLOURS[i % COLOURS.length]!;
            const dash = DASHES[Math.floor(i / COLOURS.length) % DASHES.length];
            return { label: s.label, stroke: colour, dash, fill: single ? `${colour}26` : undefined, width: single ? 1 : 2, paths: uPlot.paths.stepped!({ align: 1 }) };
          }),
        ],
        axes: [{}, { size: 60 }],
      },
      // A step is drawn from one bucket's start to the next: one more point closes the last bucket.
      [[...props.times, closing(props.times)], ...props.series.map((s) => [...s.values, s.values.at(-1) ?? 0])],
      host.current,
    );
    return () => chart.destroy();
  }, [props.times, props.series, props.label]);
  return <div ref={host} class="chart" role="img" aria-label={props.label} />;
}
