import type { News2Breakdown } from '../model/news2.js';

const BAND_LABELS: Record<News2Breakdown['band'], string> = {
  low: 'low risk',
  'low-medium': 'low–medium risk (a single parameter scored 3)',
  medium: 'medium risk',
  high: 'high risk',
};

/** A NEWS2 total with each parameter's value and score, as a table. */
export function News2Table({ news2 }: { news2: News2Breakdown }) {
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
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
