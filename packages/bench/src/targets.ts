/** The issue's targets, as ratios of figures from the same run. */
export interface TargetInputs {
  systemMaxRate: number;
  naiveMaxRate: number;
  storesCeiling: number;
  roundTripsPerRecord: number;
  commandsPerRecord: number;
  acceptP99AtHalfMs: number;
  memoryPerWaitingJobBytes: number;
  /** The offline burst's status requests (through @steadfast/client) per record. */
  burstStatusRequestsPerRecord: number;
}

export interface Target {
  name: string;
  value: number;
  limit: number;
  /** `>=`: the value must reach the limit; `<=`: it must stay under it. */
  op: '>=' | '<=';
  unit: string;
  pass: boolean;
}

export function evaluateTargets(t: TargetInputs): Target[] {
  const target = (name: string, value: number, op: Target['op'], limit: number, unit: string): Target => ({
    name,
    value,
    op,
    limit,
    unit,
    pass: Number.isFinite(value) && (op === '>=' ? value >= limit : value <= limit),
  });
  return [
    target('throughput / naive gateway (both at p99 < 2 s)', t.systemMaxRate / t.naiveMaxRate, '>=', 2, '×'),
    target("throughput / stores' ceiling", t.systemMaxRate / t.storesCeiling, '>=', 0.85, '×'),
    target('Redis round trips per record', t.roundTripsPerRecord, '<=', 3, ''),
    target('Redis commands per record (INFO commandstats)', t.commandsPerRecord, '<=', 40, ''),
    target('accept p99 at half the max rate', t.acceptP99AtHalfMs, '<=', 20, 'ms'),
    target('Redis memory per waiting job', t.memoryPerWaitingJobBytes, '<=', 2048, 'B'),
    target('burst: status requests per record (client)', t.burstStatusRequestsPerRecord, '<=', 0.3, ''),
  ];
}

export function formatTarget(t: Target): string {
  const v = Number.isFinite(t.value) ? (Math.abs(t.value) >= 100 ? t.value.toFixed(0) : t.value.toFixed(2)) : 'n/a';
  return `${t.pass ? 'PASS' : 'FAIL'}  ${t.name.padEnd(50)} ${`${v}${t.unit}`.padStart(10)}  (${t.op} ${t.limit}${t.unit})`;
}
