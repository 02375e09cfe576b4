import { formatClock, formatDuration } from '../model/format.js';
import { staleBy, type News2Breakdown } from '../model/news2.js';

const BAND_LABELS: Record<News2Breakdown['band'], string> = {
  low: 'low risk',
  'low-medium': 'low–medium risk (a single parameter scored 3)',
  medium: 'medium risk',
  high: 'high risk',
};

/**
 * A NEWS2 total with each parameter's value, score and when it was measured, as a table. A
 * part measured long before the others is marked stale, in words.
 */
export function News2Table({ news2 }: { news2: News2Breakdown }) {
  const stale = staleBy(news2.parts);

  return (
    <div class="news2 table-wrap">
      <table>
        <caption>
          NEWS2 {news2.total}: {BAND_LABELS[news2.band]}
        </caption>
        <thead>
          <tr>
            <th scope="col">Parameter</th>
            <th scope="col" class="num">
              Value
            </th>
            <th scope="col" class="num">
              Score
            </th>
            <th scope="col">Measured</th>
          </tr>
        </thead>
        <tbody>
          {news2.parts.map((p) => (
            <tr key={p.key}>
              <th scope="row">{p.label}</th>
              <td class="num">
                {p.value === undefined
                  ? 'no recent reading'
                  : `${p.value}${p.unit ? ` ${p.unit}` : ''}`}
              </td>
              <td class="num">{p.score ?? '–'}</td>
              <td class={stale.has(p.key) ? 'stale' : undefined}>
                {p.at ? formatClock(p.at) : '–'}
                {stale.has(p.key)
                  ? ` (stale: ${formatDuration(stale.get(p.key) ?? 0)} older than the rest)`
                  : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
