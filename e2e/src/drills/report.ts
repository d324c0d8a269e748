/** The drills' summary table, as printed by `npm run drill` and by the short form in `npm test`. */
import { sum, totalDuplicates, totalOrphans } from './invariants.js';
import type { DrillResult } from './drills.js';

const COLUMNS = ['drill', 'accepted', 'processed', 'duplicates r/s/a/au', 'orphans o/st/s', 'lost', 'stuck (alerted)', 'sends', 'refused', 'exits', 'time', 'result'];

export function row(r: DrillResult, i = r.invariants): string[] {
  const d = i.duplicates;
  const o = i.orphans;
  return [
    r.name,
    String(r.accepted),
    String(r.processed),
    `${totalDuplicates(i)} (${d.records}/${d.search}/${d.attachments}/${d.audit})`,
    `${totalOrphans(i)} (${o.objects}/${o.staged}/${o.search})`,
    String(i.lost),
    `${i.stuck} (${i.alerted})`,
    String(r.sends),
    String(r.refused),
    String(r.exits),
    `${(r.ms / 1000).toFixed(0)} s`,
    r.failed.length === 0 ? 'pass' : 'FAIL',
  ];
}

export function table(results: DrillResult[]): string {
  const rows = [COLUMNS, ...results.map((r) => row(r))];
  const last = results.at(-1);
  if (last && results.length > 1) {
    // Every drill's own drafts and what it added, over every system of the run (the topology
    // drills start systems of their own).
    const total = row({ ...last, name: 'whole run', accepted: results.reduce((s, r) => s + r.accepted, 0), processed: results.reduce((s, r) => s + r.processed, 0),
      sends: results.reduce((s, r) => s + r.sends, 0), refused: results.reduce((s, r) => s + r.refused, 0),
      exits: results.reduce((s, r) => s + r.exits, 0), ms: results.reduce((s, r) => s + r.ms, 0),
      failed: results.flatMap((r) => r.failed) }, sum(results.map((r) => r.invariants)));
    rows.push(total);
  }
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  const out = [line(COLUMNS), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  for (const r of results) {
    if (r.failed.length === 0) continue;
    out.push('', `${r.name} FAILED: ${r.failed.join('; ')}`, ...r.invariants.notes.map((n) => `  - ${n}`));
  }
  return out.join('\n');
}

export const LEGEND = [
  'accepted/processed: this drill\'s distinct drafts accepted by the gateway / answered RecordProcessed.',
  'The other columns are read from the stores over every draft of the run, and show what the drill added',
  '(the last row: the whole run). A drill fails on what it added, so one failure does not hide the next:',
  'duplicates: records / search documents / attachment objects / audit entries beyond one per submission;',
  'orphans: MinIO objects no record owns / staged copies left behind / search documents without a record;',
  'lost: processed drafts missing their record, search document, attachment or audit entry;',
  'stuck: accepted drafts unfinished with no alert in `alerts` (alerted ones in brackets);',
  'sends: submissions sent, duplicates and retries included; refused: of which answered with an error;',
  'exits: services that exited unasked and were restarted.',
].join('\n');
