/**
 * The nbconnect JupyterLab mime renderer: shows a test report bundle
 * (`application/vnd.nbconnect.report+json`, the JSON of `TestReport.to_dict()`)
 * as a header ("N passed, M failed") and a sortable table, failures first.
 *
 * Every string from the report goes into the DOM through `textContent`, never as
 * markup, so a hostile endpoint path or failure reason cannot inject HTML.
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

/** The mime type the Python side (`nbconnect.notebook.display.REPORT_MIME`) emits. */
export const MIME_TYPE = 'application/vnd.nbconnect.report+json';

/** The CSS class on the renderer's root node (tests look for it). */
export const CLASS_NAME = 'nbconnect-lab-report';

/** One result, as `TestResult.to_dict()` writes it. */
export interface IResult {
  endpoint_id: string;
  method: string;
  path: string;
  ok: boolean;
  status: number | null;
  latency_ms?: number | null;
  size?: number | null;
  reason?: string;
  content_type?: string | null;
}

/** A report, as `TestReport.to_dict()` writes it. */
export interface IReport {
  connector?: string;
  connection?: string | null;
  passed?: number;
  failed?: number;
  results?: IResult[];
}

type ColumnKey = 'result' | 'endpoint' | 'method' | 'path' | 'status' | 'latency' | 'reason';

interface IColumn {
  key: ColumnKey;
  label: string;
  title: string;
  value: (r: IResult) => string | number | null;
}

const COLUMNS: IColumn[] = [
  { key: 'result', label: 'result', title: 'pass or FAIL', value: r => (r.ok ? 1 : 0) },
  { key: 'endpoint', label: 'endpoint', title: 'endpoint id', value: r => r.endpoint_id },
  { key: 'method', label: 'method', title: 'HTTP method', value: r => r.method },
  { key: 'path', label: 'path', title: 'path template', value: r => r.path },
  { key: 'status', label: 'status', title: 'HTTP status code', value: r => r.status },
  { key: 'latency', label: 'latency', title: 'latency (ms)', value: r => latency(r) },
  { key: 'reason', label: 'reason', title: 'why it failed', value: r => r.reason || '' }
];

function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function latency(r: IResult): number | null {
  const v = r.latency_ms;
  return typeof v === 'number' && isFinite(v) ? v : null;
}

/** Compare two cell values; null/empty always sorts last. */
function compareValues(a: string | number | null, b: string | number | null): number {
  const aMissing = a === null || a === '';
  const bMissing = b === null || b === '';
  if (aMissing || bMissing) {
    return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return String(a).localeCompare(String(b));
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** Normalise whatever arrived into a report with well-typed results. */
export function parseReport(data: unknown): { report: IReport; results: IResult[] } {
  const report = (data && typeof data === 'object' ? data : {}) as IReport;
  const raw = Array.isArray(report.results) ? report.results : [];
  const results = raw
    .filter(r => r && typeof r === 'object')
    .map(r => ({
      endpoint_id: str(r.endpoint_id),
      method: str(r.method).toUpperCase(),
      path: str(r.path),
      ok: r.ok === true,
      status: typeof r.status === 'number' ? r.status : null,
      latency_ms: typeof r.latency_ms === 'number' ? r.latency_ms : null,
      size: typeof r.size === 'number' ? r.size : null,
      reason: str(r.reason),
      content_type: r.content_type ?? null
    }));
  return { report, results };
}

/** The widget that renders one report bundle. */
export class ReportWidget extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass(CLASS_NAME);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const { report, results } = parseReport(model.data[this._mimeType]);
    // Default order: failures first, then the endpoint order of the run.
    this._results = results
      .map((r, i) => ({ r, i }))
      .sort((a, b) => Number(a.r.ok) - Number(b.r.ok) || a.i - b.i)
      .map(x => x.r);
    this._defaultOrder = new Map(this._results.map((r, i) => [r, i]));
    this._report = report;
    this._sortKey = null;
    this._ascending = true;
    this._render();
    return Promise.resolve();
  }

  private _render(): void {
    const node = this.node;
    node.textContent = '';
    const results = this._results;
    const passed = results.filter(r => r.ok).length;
    const failed = results.length - passed;

    const header = el('div', 'nbconnect-lab-report-header');
    header.dataset.state = failed ? 'failed' : 'passed';
    const summary = el('span', 'nbconnect-lab-report-summary', `${passed} passed, ${failed} failed`);
    header.appendChild(summary);
    const context: string[] = [];
    if (this._report.connector) {
      context.push(this._report.connector);
    }
    if (this._report.connection) {
      context.push(`connection ${this._report.connection}`);
    }
    if (context.length) {
      header.appendChild(el('span', 'nbconnect-lab-report-context', context.join(' · ')));
    }
    node.appendChild(header);

    if (!results.length) {
      node.appendChild(el('p', 'nbconnect-lab-report-empty', 'No endpoints tested.'));
      return;
    }

    // A failure reason shared by several endpoints is listed once, numbered; rows point at it.
    const byReason = new Map<string, string[]>();
    for (const r of results) {
      if (!r.ok && r.reason) {
        byReason.set(r.reason, [...(byReason.get(r.reason) || []), r.endpoint_id]);
      }
    }
    const groups = new Map<string, number>();
    const list = el('ol', 'nbconnect-lab-reasons');
    for (const [reason, ids] of byReason) {
      if (ids.length < 2) {
        continue;
      }
      groups.set(reason, groups.size + 1);
      const item = el('li');
      item.appendChild(el('b', undefined, `${ids.length} endpoints`));
      item.appendChild(document.createTextNode(`: ${reason} `));
      const more = ids.length > 8 ? ` and ${ids.length - 8} more` : '';
      item.appendChild(el('i', undefined, `(${ids.slice(0, 8).join(', ')}${more})`));
      list.appendChild(item);
    }
    if (groups.size) {
      node.appendChild(list);
    }

    const table = el('table', 'nbconnect-lab-report-table');
    const thead = el('thead');
    const headRow = el('tr');
    for (const col of COLUMNS) {
      const th = el('th', `nbconnect-lab-col-${col.key}`, col.label);
      th.title = `${col.title} (click to sort)`;
      th.dataset.column = col.key;
      th.setAttribute('role', 'columnheader');
      th.tabIndex = 0;
      if (this._sortKey === col.key) {
        th.setAttribute('aria-sort', this._ascending ? 'ascending' : 'descending');
      }
      th.addEventListener('click', () => this._sortBy(col.key));
      th.addEventListener('keydown', (e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this._sortBy(col.key);
        }
      });
      headRow.appendChild(th);
    }
    thead.appendChild(headRow);
    table.appendChild(thead);

    const maxLatency = Math.max(0, ...results.map(r => latency(r) ?? 0));
    const tbody = el('tbody');
    for (const r of results) {
      const tr = el('tr', r.ok ? 'nbconnect-lab-row-pass' : 'nbconnect-lab-row-fail');
      tr.dataset.endpoint = r.endpoint_id;

      const badgeCell = el('td', 'nbconnect-lab-col-result');
      badgeCell.appendChild(
        el('span', `nbconnect-lab-badge ${r.ok ? 'nbconnect-lab-pass' : 'nbconnect-lab-fail'}`,
           r.ok ? 'pass' : 'FAIL')
      );
      tr.appendChild(badgeCell);
      tr.appendChild(el('td', 'nbconnect-lab-col-endpoint', r.endpoint_id));
      tr.appendChild(el('td', 'nbconnect-lab-col-method', r.method));
      tr.appendChild(el('td', 'nbconnect-lab-col-path', r.path));
      tr.appendChild(el('td', 'nbconnect-lab-col-status', r.status === null ? '—' : String(r.status)));

      const latCell = el('td', 'nbconnect-lab-col-latency');
      const ms = latency(r);
      const bar = el('span', 'nbconnect-lab-bar');
      const fill = el('span', 'nbconnect-lab-bar-fill');
      const pct = ms !== null && maxLatency > 0 ? Math.max(2, (100 * ms) / maxLatency) : 0;
      fill.style.width = `${pct.toFixed(1)}%`;
      bar.appendChild(fill);
      latCell.appendChild(bar);
      latCell.appendChild(el('span', 'nbconnect-lab-ms', ms === null ? '—' : `${ms.toFixed(1)} ms`));
      tr.appendChild(latCell);

      const group = groups.get(r.reason || '');
      const reasonCell = el('td', 'nbconnect-lab-col-reason', group ? '' : r.reason || '');
      if (group) {
        reasonCell.appendChild(el('i', 'nbconnect-lab-reason-ref', `reason ${group} above`));
        reasonCell.title = r.reason || '';
      }
      tr.appendChild(reasonCell);
      tbody.appendChild(tr);
    }
    table.appendChild(tbody);
    node.appendChild(table);
  }

  private _sortBy(key: ColumnKey): void {
    if (this._sortKey === key) {
      this._ascending = !this._ascending;
    } else {
      this._sortKey = key;
      this._ascending = true;
    }
    const col = COLUMNS.find(c => c.key === key)!;
    const sign = this._ascending ? 1 : -1;
    const order = this._defaultOrder;
    // Ties fall back to the default order (failures first, then run order).
    this._results = [...this._results].sort((a, b) => {
      const va = col.value(a);
      const vb = col.value(b);
      const missing = (v: string | number | null) => v === null || v === '';
      const byValue =
        missing(va) || missing(vb)
          ? compareValues(va, vb) // missing values stay last either way
          : sign * compareValues(va, vb);
      return byValue || (order.get(a) ?? 0) - (order.get(b) ?? 0);
    });
    this._render();
  }

  private _mimeType: string;
  private _report: IReport = {};
  private _results: IResult[] = [];
  private _defaultOrder = new Map<IResult, number>();
  private _sortKey: ColumnKey | null = null;
  private _ascending = true;
}

/** Creates a report renderer; safe, so it also renders in untrusted notebooks. */
export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  // Ahead of text/html (rank 50), so JupyterLab prefers this renderer.
  defaultRank: 10,
  createRenderer: options => new ReportWidget(options)
};

const extension: IRenderMime.IExtension = {
  id: 'nbconnect:report-renderer',
  description: 'Renders nbconnect test reports as a sortable table.',
  rendererFactory,
  rank: 10,
  dataType: 'json'
};

export default extension;
