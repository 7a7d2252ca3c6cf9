import type { Activity } from '../live-state';

const MINUTES = 15;
const WIDTH = 300;
const HEIGHT = 64;

/** Transitions (bars) and denials (red bars) per minute over the last 15 minutes, as SVG. */
export function ActivityChart({ activity }: { activity: Activity }) {
  const series = activity.series(MINUTES);
  const max = Math.max(1, ...series.map((s) => Math.max(s.transitions, s.denials)));
  const slot = WIDTH / MINUTES;
  const bar = (slot - 2) / 2;
  const height = (n: number) => (n / max) * (HEIGHT - 4);
  const totals = series.reduce(
    (t, s) => ({ transitions: t.transitions + s.transitions, denials: t.denials + s.denials }),
    {
      transitions: 0,
      denials: 0,
    },
  );
  return (
    <figure class="activity" data-testid="activity-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Transitions and denials per minute">
        {series.map((s, i) => (
          <g key={s.minute}>
            <rect
              class="bar-transitions"
              x={i * slot + 1}
              y={HEIGHT - height(s.transitions)}
              width={bar}
              height={height(s.transitions)}
            >
              <title>{`${new Date(s.minute * 60_000).toLocaleTimeString()}: ${s.transitions} transitions`}</title>
            </rect>
            <rect
              class="bar-denials"
              x={i * slot + 1 + bar}
              y={HEIGHT - height(s.denials)}
              width={bar}
              height={height(s.denials)}
            >
              <title>{`${new Date(s.minute * 60_000).toLocaleTimeString()}: ${s.denials} denials`}</title>
            </rect>
          </g>
        ))}
        <line class="axis" x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
      </svg>
      <figcaption>
        Last {MINUTES} min: <span class="legend-transitions">■ {totals.transitions} transitions</span>{' '}
        <span class="legend-denials">■ {totals.denials} denials</span> (per minute, max {max})
      </figcaption>
    </figure>
  );
}
