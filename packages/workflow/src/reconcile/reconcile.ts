/**
 * One reconciliation run: the search check, then the object check; a report with every finding
 * and, in repair mode, what was fixed. Exit status: 0 when no drift remains.
 */
import { DEFAULT_OPTIONS, DRIFT_KINDS, type Drift, type DriftKind, type ReconcileDeps, type ReconcileOptions } from './drift.js';
import { checkObjects } from './object-drift.js';
import { checkSearch } from './search-drift.js';

export interface ReconcileReport {
  startedAt: string;
  durationMs: number;
  mode: 'dry-run' | 'repair';
  checked: Record<string, number>;
  /** Items skipped as work in flight (recent changes, uploads a job still holds). */
  inFlight: number;
  summary: Record<DriftKind, { found: number; repaired: number }>;
  /** Drift found and not repaired (all of it in a dry run). */
  remaining: number;
  drift: Drift[];
}

export async function reconcile(deps: ReconcileDeps, partial: Partial<ReconcileOptions> = {}): Promise<ReconcileReport> {
  const options = { ...DEFAULT_OPTIONS, ...partial };
  const started = Date.now();
  const now = options.now ?? started;
  const search = await checkSearch(deps, options, now);
  const objects = await checkObjects(deps, options, now);
  const drift = [...search.drift, ...objects.drift];
  const summary = Object.fromEntries(DRIFT_KINDS.map((k) => [k, { found: 0, repaired: 0 }])) as ReconcileReport['summary'];
  for (const d of drift) {
    summary[d.kind].found++;
    if (d.repaired) summary[d.kind].repaired++;
  }
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    mode: options.repair ? 'repair' : 'dry-run',
    checked: { ...objects.checked, ...search.checked },
    inFlight: search.inFlight + objects.inFlight,
    summary,
    remaining: drift.filter((d) => !d.repaired).length,
    drift,
  };
}

/** The report for a person: counts per kind, then each finding (the first `limit`). */
export function formatReport(report: ReconcileReport, limit = 50): string {
  const lines = [
    `reconciliation (${report.mode}) at ${report.startedAt}, ${report.durationMs} ms`,
    `checked: ${Object.entries(report.checked).map(([k, v]) => `${v} ${k}`).join(', ')}; skipped as in flight: ${report.inFlight}`,
    '',
    `${'drift'.padEnd(22)}${'found'.padStart(8)}${'repaired'.padStart(10)}`,
  ];
  for (const [kind, { found, repaired }] of Object.entries(report.summary)) {
    lines.push(`${kind.padEnd(22)}${String(found).padStart(8)}${(report.mode === 'repair' ? String(repaired) : '-').padStart(10)}`);
  }
  if (report.drift.length > 0) lines.push('');
  for (const d of report.drift.slice(0, limit)) {
    const outcome = d.repaired === undefined ? '' : d.repaired ? ' [repaired]' : ` [NOT repaired${d.note ? `: ${d.note}` : ''}]`;
    lines.push(`  ${d.kind} ${d.id}: ${d.detail}${outcome}`);
  }
  if (report.drift.length > limit) lines.push(`  … and ${report.drift.length - limit} more (--json lists all)`);
  lines.push('', report.remaining === 0 ? 'no drift remains' : `${report.remaining} drift item(s) remain`);
  return lines.join('\n');
}
