// Renders the results as Markdown and JSON and writes bench/results/latest.{md,json}.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { FOREIGN_LOAD_LIMIT, type Cell, type SummaryRow } from './aggregate';
import { median } from './stats';
import type { Options } from './cli';
import type { Environment } from './env';
import type { ImplId } from './impls/registry';
import type { PinMode } from './pinning';
import { SCENARIOS } from './scenarios';
import type { Trial } from './trial';

export interface Report {
  environment: Environment;
  options: Omit<Options, 'outDir'>;
  impls: Array<{ id: ImplId; label: string; skipped: string | null }>;
  scenarios: typeof SCENARIOS;
  summary: SummaryRow[];
  cells: Cell[];
  trials: Trial[];
}

function num(v: number | null | undefined, unit: string): string {
  if (v == null || !Number.isFinite(v)) return '–';
  if (unit === 'calls/s') return Math.round(v).toLocaleString('en-US');
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toFixed(digits);
}

function times(r: number | null | undefined): string {
  return r == null || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}×`;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function summaryTable(report: Report): string[] {
  const shown = report.impls.filter((i) => !i.skipped);
  const lines = [
    `| Metric | ${shown.map((i) => i.label).join(' | ')} |`,
    `| --- | ${shown.map(() => '---:').join(' | ')} |`,
  ];
  for (const row of report.summary) {
    const cells = shown.map((i) => {
      const v = row.values[i.id];
      if (v == null) return 'failed';
      const ratios: string[] = [];
      if (i.id !== 'node') ratios.push(times(row.vsNode[i.id]));
      else ratios.push('1.00×');
      if (i.id !== 'net') ratios.push(times(row.vsNet[i.id]));
      else ratios.push('1.00×');
      const warn = (row.warnings[i.id] ?? []).length > 0 ? ' ⚠' : '';
      return `**${num(v, row.unit)}**${warn} (${ratios.join(' / ')})`;
    });
    const arrow = row.better === 'lower' ? '↓' : '↑';
    lines.push(`| ${row.label} [${row.unit} ${arrow}] | ${cells.join(' | ')} |`);
  }
  return lines;
}

function detailsTable(report: Report): string[] {
  const lines = [
    '| Scenario | Implementation | calls/s | MiB/s | p50 µs | p99 µs | client CPU µs/call | server CPU µs/call | client RSS MiB | server RSS MiB | conns | errors | other CPUs |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of SCENARIOS) {
    for (const impl of report.impls) {
      const cell = report.cells.find((c) => c.impl === impl.id && c.scenario === s.id);
      if (!cell) continue;
      const m = cell.metrics;
      lines.push(
        `| ${s.number}. ${s.id} | ${impl.label} | ${num(m.callsPerSec.median, 'calls/s')} | ${num(m.mibPerSec.median, 'MiB/s')} | ` +
          `${num(m.p50Us.median, 'µs')} | ${num(m.p99Us.median, 'µs')} | ${num(m.clientCpuUsPerCall.median, 'µs')} | ` +
          `${num(m.serverCpuUsPerCall.median, 'µs')} | ${num(m.clientRssMiB.median, 'MiB')} | ${num(m.serverRssMiB.median, 'MiB')} | ` +
          `${num(m.connections.median, 'calls/s')} | ${num(m.errors.max, 'calls/s')} | ${num(m.otherCpus.median, 'CPUs')} |`,
      );
    }
  }
  return lines;
}

function notes(report: Report): string[] {
  const out: string[] = [];
  for (const i of report.impls) if (i.skipped) out.push(`- **${i.label} skipped**: ${i.skipped}`);
  for (const cell of report.cells) {
    const label = report.impls.find((i) => i.id === cell.impl)?.label ?? cell.impl;
    for (const f of new Set(cell.failures)) {
      out.push(`- ${label}, ${cell.scenario}: trial failed: ${mdEscape(f.split('\n')[0] ?? f)}`);
    }
    if (cell.firstError) out.push(`- ${label}, ${cell.scenario}: call errors, first: ${mdEscape(cell.firstError)}`);
    if (cell.firstWarmupError) {
      out.push(
        `- ${label}, ${cell.scenario}: ${cell.warmupErrors} call error(s) during warm-up only (not measured), first: ${mdEscape(cell.firstWarmupError)}`,
      );
    }
    const s = SCENARIOS.find((x) => x.id === cell.scenario);
    const conns = cell.metrics.connections.median;
    if (s && Number.isFinite(conns) && conns !== s.connections) {
      out.push(`- ${label}, ${cell.scenario}: ${conns} connections observed on the server port, ${s.connections} intended`);
    }
    const other = cell.metrics.otherCpus;
    if (other.median > FOREIGN_LOAD_LIMIT) {
      out.push(
        `- ${label}, ${cell.scenario}: other processes kept ${other.median.toFixed(2)} CPUs busy during the window ` +
          `(median; max ${other.max.toFixed(2)}): figures disturbed, re-run on a quiet machine`,
      );
    }
  }
  return out;
}

function loadLine(report: Report): string[] {
  const other = report.trials.flatMap((t) => (t.foreign ? [t.foreign.otherCpus] : []));
  if (other.length === 0) return [];
  const steal = report.trials.flatMap((t) => (t.foreign ? [t.foreign.stealCpus] : []));
  return [
    '',
    `Rest of the machine during the measured windows: other processes ${median(other).toFixed(2)} CPUs ` +
      `(median; max ${Math.max(...other).toFixed(2)}), hypervisor steal ${median(steal).toFixed(2)} CPUs (median).`,
  ];
}

function pinText(pin: PinMode): string {
  if (pin === 'split') return 'server pinned to CPU 0, client to CPU 1';
  if (pin === 'same') return 'server and client pinned to CPU 0';
  return 'not pinned';
}

export function renderMarkdown(report: Report): string {
  const e = report.environment;
  const o = report.options;
  const lines = [
    '# tchannel-ts benchmark: latest run',
    '',
    `${e.date} · Node ${e.node} · ${e.platform} · ${e.cpus} × ${e.cpuModel} · load ${e.loadAvg1m} at start`,
    '',
    `Each trial: fresh server and client processes over 127.0.0.1 (${pinText(o.pin)}), ${o.warmupMs / 1000} s warm-up, ` +
      `${o.durationMs / 1000} s measured; ${o.repeat} trial(s) per cell, medians shown.`,
    '',
    'Cells: **value** (ratio to tchannel-node / ratio to the net ceiling). ↓ lower is better, ↑ higher is better. ' +
      '⚠ marks a figure with call errors, failed trials or other processes busy during the window: see Notes.',
    ...loadLine(report),
    '',
    ...summaryTable(report),
    '',
    '## Details (medians)',
    '',
    ...detailsTable(report),
  ];
  const n = notes(report);
  if (n.length > 0) lines.push('', '## Notes', '', ...n);
  return `${lines.join('\n')}\n`;
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function writeReport(report: Report, outDir: string): { markdown: string; files: string[] } {
  fs.mkdirSync(outDir, { recursive: true });
  const markdown = renderMarkdown(report);
  const md = path.join(outDir, 'latest.md');
  const json = path.join(outDir, 'latest.json');
  writeAtomically(md, markdown);
  writeAtomically(json, `${JSON.stringify(report, null, 2)}\n`);
  return { markdown, files: [md, json] };
}
