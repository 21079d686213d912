// From trials to figures: per-trial metrics, medians over repeats, and the summary rows with
// their ratios to tchannel-node and to the net ceiling.

import type { ImplId } from './impls/registry';
import { MIB, SCENARIOS, type ScenarioId } from './scenarios';
import { spread, type Spread } from './stats';
import type { Trial } from './trial';

export const METRIC_KEYS = [
  'p50Us',
  'p99Us',
  'callsPerSec',
  'mibPerSec',
  'clientRssMiB',
  'serverRssMiB',
  'clientCpuUsPerCall',
  'serverCpuUsPerCall',
  'connections',
  'errors',
  'otherCpus',
  'stealCpus',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export type TrialMetrics = Record<MetricKey, number>;

export function trialMetrics(t: Trial): TrialMetrics {
  // a window without a single successful call measured nothing: no rate, no latency
  const c = t.client && t.client.calls > 0 ? t.client : null;
  const secs = c ? c.elapsedMs / 1000 : Number.NaN;
  const perCall = (cpu: { userUs: number; systemUs: number } | null | undefined): number =>
    cpu && c && c.calls > 0 ? (cpu.userUs + cpu.systemUs) / c.calls : Number.NaN;
  return {
    p50Us: c ? c.latencyUs.p50 : Number.NaN,
    p99Us: c ? c.latencyUs.p99 : Number.NaN,
    callsPerSec: c ? c.calls / secs : Number.NaN,
    mibPerSec: c ? c.bodyBytes / MIB / secs : Number.NaN,
    clientRssMiB: t.clientMaxRssKiB === null ? Number.NaN : t.clientMaxRssKiB / 1024,
    serverRssMiB: t.serverMaxRssKiB === null ? Number.NaN : t.serverMaxRssKiB / 1024,
    clientCpuUsPerCall: perCall(c?.cpu),
    serverCpuUsPerCall: perCall(t.serverCpu),
    connections: t.connections ?? Number.NaN,
    errors: t.client ? t.client.errors : Number.NaN,
    otherCpus: t.foreign ? t.foreign.otherCpus : Number.NaN,
    stealCpus: t.foreign ? t.foreign.stealCpus : Number.NaN,
  };
}

/** One implementation in one scenario, over its repeats. */
export interface Cell {
  impl: ImplId;
  scenario: ScenarioId;
  metrics: Record<MetricKey, Spread>;
  failures: string[];
  firstError: string | null;
  warmupErrors: number;
  firstWarmupError: string | null;
}

export function aggregate(trials: readonly Trial[]): Cell[] {
  const groups = new Map<string, Trial[]>();
  for (const t of trials) {
    const key = `${t.impl}/${t.scenario}`;
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  const cells: Cell[] = [];
  for (const list of groups.values()) {
    const first = list[0] as Trial;
    const per = list.map(trialMetrics);
    const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, spread(per.map((m) => m[k]))])) as Record<
      MetricKey,
      Spread
    >;
    cells.push({
      impl: first.impl,
      scenario: first.scenario,
      metrics,
      failures: list.flatMap((t) => (t.failure ? [t.failure] : [])),
      firstError: list.map((t) => t.client?.firstError ?? null).find((e) => e !== null) ?? null,
      warmupErrors: list.reduce((n, t) => n + (t.client?.warmupErrors ?? 0), 0),
      firstWarmupError: list.map((t) => t.client?.firstWarmupError ?? null).find((e) => e !== null) ?? null,
    });
  }
  return cells;
}

/** Other processes busier than this (CPUs, median over the cell's windows) flag the cell. */
export const FOREIGN_LOAD_LIMIT = 0.15;

/** Why a cell's figures are suspect: call errors, or a machine busy with other work. */
export function cellWarnings(cell: Cell): string[] {
  const out: string[] = [];
  if (cell.failures.length > 0) out.push('failed trials');
  if (cell.metrics.errors.max > 0) out.push('call errors');
  if (cell.metrics.otherCpus.median > FOREIGN_LOAD_LIMIT) out.push('machine busy');
  return out;
}

export interface SummaryRow {
  id: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  /** Median over repeats (RSS rows: the largest median over scenarios 1-4); null if not measured. */
  values: Partial<Record<ImplId, number | null>>;
  /** value ÷ tchannel-node's value. */
  vsNode: Partial<Record<ImplId, number | null>>;
  /** value ÷ the net ceiling's value. */
  vsNet: Partial<Record<ImplId, number | null>>;
  /** Reasons to distrust a value (see cellWarnings), per implementation. */
  warnings: Partial<Record<ImplId, string[]>>;
}

interface RowDef {
  id: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  metric: MetricKey;
  /** A single scenario, or all of them (max over scenarios). */
  scenario: ScenarioId | 'all';
}

function title(id: ScenarioId): string {
  const s = SCENARIOS.find((x) => x.id === id);
  return s ? `${s.number}. ${s.title}` : id;
}

const ROWS: readonly RowDef[] = [
  { id: 'latency.p50', label: `${title('latency')}: p50`, unit: 'µs', better: 'lower', metric: 'p50Us', scenario: 'latency' },
  { id: 'latency.p99', label: `${title('latency')}: p99`, unit: 'µs', better: 'lower', metric: 'p99Us', scenario: 'latency' },
  { id: 'throughput', label: title('throughput'), unit: 'calls/s', better: 'higher', metric: 'callsPerSec', scenario: 'throughput' },
  { id: 'large', label: title('large'), unit: 'MiB/s', better: 'higher', metric: 'mibPerSec', scenario: 'large' },
  { id: 'connections', label: title('connections'), unit: 'calls/s', better: 'higher', metric: 'callsPerSec', scenario: 'connections' },
  { id: 'rss.client', label: '5. peak RSS, client process (max over 1-4)', unit: 'MiB', better: 'lower', metric: 'clientRssMiB', scenario: 'all' },
  { id: 'rss.server', label: '5. peak RSS, server process (max over 1-4)', unit: 'MiB', better: 'lower', metric: 'serverRssMiB', scenario: 'all' },
];

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : a / b;
}

export function summarize(cells: readonly Cell[], impls: readonly ImplId[], scenarios: readonly ScenarioId[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const def of ROWS) {
    if (def.scenario !== 'all' && !scenarios.includes(def.scenario)) continue;
    const values: SummaryRow['values'] = {};
    const warnings: SummaryRow['warnings'] = {};
    for (const impl of impls) {
      const mine = cells.filter((c) => c.impl === impl && (def.scenario === 'all' || c.scenario === def.scenario));
      // RSS rows are not made wrong by a busy machine or an error; the per-scenario rows are
      warnings[impl] = def.scenario === 'all' ? [] : [...new Set(mine.flatMap(cellWarnings))];
      const medians = mine.map((c) => c.metrics[def.metric].median).filter((v) => Number.isFinite(v));
      values[impl] = medians.length === 0 ? null : finite(def.scenario === 'all' ? Math.max(...medians) : (medians[0] as number));
    }
    const vsNode: SummaryRow['vsNode'] = {};
    const vsNet: SummaryRow['vsNet'] = {};
    for (const impl of impls) {
      vsNode[impl] = ratio(values[impl], values.node);
      vsNet[impl] = ratio(values[impl], values.net);
    }
    rows.push({ id: def.id, label: def.label, unit: def.unit, better: def.better, values, vsNode, vsNet, warnings });
  }
  return rows;
}
