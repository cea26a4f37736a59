import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

// Only the parts the dashboard draws, so the bundle stays small.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface BarSeries {
  label: string;
  color: string;
  values: number[];
}

/**
 * A (stacked) bar chart on a canvas. The canvas is an image for assistive technology, so the
 * caller passes a summary sentence as its label; the numbers are also in a table on each page.
 * @example
 * <BarChart labels={['10:00', '11:00']} series={[{ label: 'Verified', color: '#1a7f37', values: [3, 4] }]} summary="7 verified" />
 */
export function BarChart(props: {
  labels: string[];
  series: BarSeries[];
  summary: string;
  stacked?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const datasets: ChartDataset<'bar'>[] = props.series.map((s) => ({
      label: s.label,
      data: s.values,
      backgroundColor: s.color,
      borderWidth: 0,
    }));
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: props.labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        scales: {
          x: { stacked: props.stacked ?? true, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: { stacked: props.stacked ?? true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
    return () => chart.destroy();
  }, [props.labels, props.series, props.stacked]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={props.summary} />
    </div>
  );
}
