/*
 * Whereabouts dashboard. Plain browser script (no build step), served with a strict CSP: no inline code,
 * connections to this origin only. It reads the gateway the way any dashboard client must: approved
 * operations by document id (APQ), with a dashboard key sent as a bearer token. The key lives in
 * sessionStorage (this tab only) and never in the URL. Where the gateway offers sign-in (OpenID Connect,
 * `GET /auth/session` answers), a person may sign in instead: the session cookie then goes with every
 * request, with the session's CSRF token in `X-CSRF-Token` (in `connectionParams.csrfToken` for the
 * subscription), and a saved key is dropped so that the session is used. Live updates: the approved `figures-changed`
 * subscription over graphql-ws; polling every 30 s whenever that is not connected.
 *
 * What it shows: the national picture as at one date. Unless a date is chosen, that is the latest date the
 * configured sources give a headline figure for (`national-series` without from/to ends on it), not today,
 * on which bundled survey figures would give an empty picture. A chosen date, window, series interval and
 * breakdown dimension are kept in the query string (`?date=2018-01-17&window=365&every=YEAR&by=MAPPA_LEVEL`),
 * so a view can be shared; the key never is.
 *
 * Breakdowns (`national-breakdown`): a force × category table as at the date shown, with the same window,
 * as the key's role may see it. A dashboard key sees cells under disclosure control (a force's breakdown is
 * shown whole, or every reported cell of it is hidden); an analyst's sees every cell. The page shows what
 * the API answers and works nothing out from it: a hidden cell stays a marker.
 */
(function () {
  'use strict';

  const KEY_STORAGE = 'whereabouts.dashboardKey';
  /** Polling while live updates are not connected, and a slow refresh of ages while they are. */
  const POLL_MS = 30_000;
  const LIVE_POLL_MS = 120_000;
  /** Events in a burst become one refresh: wait this long after the last, at most MAX_WAIT_MS after the first. */
  const DEBOUNCE_MS = 250;
  const MAX_WAIT_MS = 2_000;
  /** How long to wait before subscribing again after the subscription failed. */
  const RESUBSCRIBE_MS = 30_000;

  const OUTCOMES = {
    REPORTED: 'in the sum',
    WITHHELD: 'withheld by the force',
    NOT_HELD: 'not held by the force',
    UNAVAILABLE: 'unavailable (source failing)',
    NO_FIGURE: 'no figure within the window',
  };
  /**
   * The window used when none is chosen and, with the gateway's own, no force has a figure as at today:
   * the figures are then published surveys, months or years apart, and a year's window lets each point
   * of the series hold the survey before it.
   */
  const SURVEY_WINDOW_DAYS = 365;
  /** Colours of the series chart: our sum, and the edge of a gap column. */
  const SUM_COLOR = '#1f5fbf';
  const GAP_BORDER = 'rgba(87, 96, 106, 0.45)';
  /** Windows the control offers (the gateway's default and one from the address are added if missing). */
  const WINDOW_CHOICES = [30, 90, 180, 365, 730];
  /** Largest window the gateway accepts (src/graphql/args.ts). */
  const MAX_WINDOW_DAYS = 3650;
  const INTERVALS = { MONTH: 'month', QUARTER: 'quarter', YEAR: 'year' };
  /** Wait after the last edit of the date field before asking (typing a year gives a valid date per digit). */
  const DATE_DEBOUNCE_MS = 400;
  /**
   * Published totals that count what our sum counts, for the whole country: the same rule as
   * `comparablePublishedTotals` in src/domain/published.ts (registered counts, rates and the subset
   * missing for over a year are other measures; a nation's or a region's total is not the UK's).
   */
  const COMPARABLE_MEASURES = new Set([
    'whereabouts_unknown',
    'wanted_whereabouts_unknown',
    'unaccounted_for',
    'missing_or_wanted',
    'missing_or_unaccounted',
  ]);
  const isNationalScope = (scope) =>
    /^(UK|United Kingdom|Great Britain|England and Wales)\b/i.test(String(scope || '').trim());
  const isComparable = (t) =>
    COMPARABLE_MEASURES.has(t.measure) && isNationalScope(t.scope) && t.asAt && t.asAt.date;

  const BASES = {
    WHEREABOUTS_UNKNOWN: 'Whereabouts unknown',
    WANTED: 'Wanted for breach',
    MISSING_OR_WANTED: 'Missing or wanted (combined)',
  };

  /** What a breakdown can be by (the `Dimension` enum), in the picker's order. */
  const DIMENSIONS = {
    YEAR_WENT_MISSING: 'Year went missing',
    OFFENCE_CATEGORY: 'Offence category',
    MAPPA_LEVEL: 'MAPPA level',
    MISSING_FOR_AT_LEAST_YEARS: 'Missing for at least N years',
    RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL: 'Returned to custody by MAPPA level',
  };
  /** The same, in a sentence: "a breakdown by …". */
  const DIMENSION_PHRASES = {
    YEAR_WENT_MISSING: 'year went missing',
    OFFENCE_CATEGORY: 'offence category',
    MAPPA_LEVEL: 'MAPPA level',
    MISSING_FOR_AT_LEAST_YEARS: 'years missing (at least N)',
    RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL: 'MAPPA level of those returned to custody',
  };
  const DEFAULT_DIMENSION = 'YEAR_WENT_MISSING';
  /** A cell's status other than REPORTED and SUPPRESSED, as a cell says it. */
  const CELL_STATUSES = {
    WITHHELD: 'withheld',
    NOT_HELD: 'not held',
    UNAVAILABLE: 'unavailable',
  };
  /** A force's whole breakdown refused or without a reported cell (row disclosure NOT_REPORTED). */
  const NOT_REPORTED_TEXT = {
    WITHHELD: 'withheld by the force',
    NOT_HELD: 'not held by the force',
    UNAVAILABLE: 'unavailable (source failing)',
  };

  const $ = (id) => document.getElementById(id);

  /** Mutable state of the page. */
  const state = {
    key: null,
    /** The signed-in session, `{ csrf, role }`, when the page reads with the session cookie instead of a key. */
    session: null,
    operations: null,
    chart: null,
    live: null,
    unsubscribe: null,
    liveMode: 'off',
    connectedOnce: false,
    pollTimer: null,
    resubscribeTimer: null,
    debounceTimer: null,
    firstEventAt: 0,
    refreshing: null,
    again: false,
    version: 0,
    /** What the address asks for: a date, window and interval, each null when not chosen. */
    view: { date: null, window: null, every: null, by: null, problems: [] },
    /** The gateway's own window (learnt from a query that did not give one). */
    defaultWindow: null,
    /** Last automatic choices, asked first next time so that a steady page needs no second query. */
    autoWindow: null,
    autoEvery: null,
    /** What is on screen: the series, its chosen point, and the effective date, window and interval. */
    shown: null,
    seriesChart: null,
    seriesFocus: null,
    /** The hatch pattern of gap columns (made once). */
    hatch: null,
    dateTimer: null,
    /** Bumped by every breakdown request: an answer to an older one is not shown. */
    breakdownSeq: 0,
  };

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Creates an element; text only ever goes in as textContent (nothing from the API is parsed as HTML). */
  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'className') node.className = value;
      else if (name.startsWith('data-')) node.setAttribute(name, String(value));
      else node.setAttribute(name, String(value));
    }
    for (const child of children || []) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  const simBadge = () => el('span', { className: 'badge sim', text: 'SIMULATED' });

  function fmtInt(n) {
    return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-GB') : '–';
  }

  function fmtAge(seconds) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  function fmtDate(asAt) {
    if (!asAt) return '–';
    if (typeof asAt === 'string') return asAt;
    const date = asAt.date || '–';
    if (asAt.precision === 'MONTH') return date.slice(0, 7);
    if (asAt.precision === 'YEAR') return date.slice(0, 4);
    return date;
  }

  /** Today in UTC, as the gateway counts days. */
  function todayUtc() {
    return new Date().toISOString().slice(0, 10);
  }

  /** Whether `day` is a real calendar day (YYYY-MM-DD) from 1900 up to today. */
  function isPastDay(day) {
    if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
    const date = new Date(`${day}T00:00:00Z`);
    return (
      !Number.isNaN(date.getTime()) &&
      date.toISOString().slice(0, 10) === day &&
      day >= '1900-01-01' &&
      day <= todayUtc()
    );
  }

  function daysBetween(from, to) {
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  }

  /** "17 January 2018". */
  function longDate(day) {
    if (!day) return '–';
    return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    });
  }

  /** "17 Jan 2018", or "Mar 2015" / "2015" for a date known to a month or a year. */
  function shortDate(asAt) {
    if (!asAt || !asAt.date) return '–';
    const date =
      asAt.date.length === 4 ? `${asAt.date}-01-01` : asAt.date.length === 7 ? `${asAt.date}-01` : asAt.date;
    const options = { timeZone: 'UTC', year: 'numeric' };
    if (asAt.precision !== 'YEAR') options.month = 'short';
    if (asAt.precision === 'DAY') options.day = 'numeric';
    return new Date(`${date.slice(0, 10)}T00:00:00Z`).toLocaleDateString('en-GB', options);
  }

  /** The first day a published total's date can mean ("2015-03" is March 2015: from 1 March). */
  function firstDayOf(asAt) {
    const date = asAt.date;
    if (date.length === 4) return `${date}-01-01`;
    if (date.length === 7) return `${date}-01`;
    return date.slice(0, 10);
  }

  /** A point's label on the series' axis: "2018", "Q1 2018" or "Jan 2018". */
  function periodLabel(every, periodStart) {
    const year = periodStart.slice(0, 4);
    const month = Number(periodStart.slice(5, 7));
    if (every === 'YEAR') return year;
    if (every === 'QUARTER') return `Q${Math.floor((month - 1) / 3) + 1} ${year}`;
    return new Date(`${periodStart.slice(0, 7)}-01T00:00:00Z`).toLocaleDateString('en-GB', {
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    });
  }

  /** Splits a long tooltip line into lines of about `width` characters (chart.js does not wrap). */
  function wrap(text, width) {
    const lines = [];
    let line = '';
    for (const word of String(text).split(' ')) {
      if (line && line.length + word.length + 1 > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
    return lines;
  }

  /** A link only for http(s) URLs; anything else is shown as text. */
  function sourceLink(title, url) {
    if (typeof url === 'string' && /^https?:\/\//i.test(url)) {
      return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: title || url });
    }
    return document.createTextNode(title || '–');
  }

  function setNumber(id, value) {
    const node = $(id);
    node.textContent = fmtInt(value);
    node.dataset.value = typeof value === 'number' ? String(value) : '';
  }

  function median(values) {
    if (!values.length) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
  }

  function fillTable(table, rows) {
    const body = table.tBodies[0];
    body.replaceChildren(...rows);
  }

  // ---------------------------------------------------------------- API

  async function loadOperations() {
    const res = await fetch('/dashboard/operations.json', { cache: 'no-cache', credentials: 'omit' });
    if (!res.ok)
      throw new ApiError(res.status, 'OPERATIONS', `could not load the operations (${res.status})`);
    return (await res.json()).operations;
  }

  /** Whether the page has a credential: a key, or a signed-in session. */
  function signedIn() {
    return Boolean(state.key || state.session);
  }

  /** The headers of the page's credential: the key as a bearer token, or the session's CSRF token. */
  function credentialHeaders() {
    return state.session ? { 'x-csrf-token': state.session.csrf } : { authorization: `Bearer ${state.key}` };
  }

  /**
   * What `GET /auth/session` says: `{ signIn: false }` where the gateway has no sign-in (operations.json
   * says whether it has, so that the page never asks for a route that is not there).
   */
  async function readSession() {
    try {
      const offered = await fetch('/dashboard/operations.json', { cache: 'no-cache', credentials: 'omit' });
      if (!offered.ok || (await offered.json()).signIn !== true) return { signIn: false };
      const res = await fetch('/auth/session', { cache: 'no-store', credentials: 'same-origin' });
      if (!res.ok) return { signIn: false };
      return await res.json();
    } catch {
      return { signIn: false };
    }
  }

  /** Runs an approved operation by document id (APQ), with the key as a bearer token (or the session). */
  async function run(name, variables) {
    const op = state.operations && state.operations[name];
    if (!op) throw new ApiError(0, 'NO_OPERATION', `the gateway offers no approved operation "${name}"`);
    let res;
    try {
      res = await fetch('/graphql', {
        method: 'POST',
        cache: 'no-store',
        credentials: state.session ? 'same-origin' : 'omit',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...credentialHeaders(),
        },
        body: JSON.stringify({
          extensions: { persistedQuery: { version: 1, sha256Hash: op.sha256 } },
          variables: variables || {},
        }),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'the gateway cannot be reached');
    }
    let body;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    const first = body && Array.isArray(body.errors) ? body.errors[0] : null;
    if (!res.ok || !body || !body.data) {
      throw new ApiError(
        res.status,
        first && first.extensions ? first.extensions.code : undefined,
        first && first.message ? first.message : `HTTP ${res.status}`,
      );
    }
    return body.data;
  }

  // ---------------------------------------------------------------- rendering

  function renderTotal(national, simulatedInSum) {
    setNumber('national-total', national.unaccounted.value);
    $('total-simulated').hidden = !simulatedInSum;
    const c = national.coverage;
    $('national-scope').textContent =
      `${national.name}, as at ${longDate(national.asAt)}: the sum of each force's latest figure dated ` +
      `up to ${national.windowDays} days before it.`;
    const total = $('total-coverage');
    total.textContent =
      `Covers ${c.reporting} of ${c.forces} forces` +
      (c.reporting < c.forces ? `; the other ${c.forces - c.reporting} are named under Coverage.` : '.');
    total.dataset.reporting = String(c.reporting);
    total.dataset.forces = String(c.forces);
    $('by-basis').replaceChildren(
      ...(national.unaccounted.byBasis || []).map((b) =>
        el('li', {}, [
          `${BASES[b.basis] || b.basis}: `,
          el('strong', { text: fmtInt(b.value) }),
          ` (${b.forces} ${b.forces === 1 ? 'force' : 'forces'})`,
        ]),
      ),
    );
  }

  function renderCoverage(coverage) {
    for (const name of [
      'forces',
      'reporting',
      'unavailable',
      'stale',
      'withoutFigure',
      'withheld',
      'notHeld',
    ]) {
      setNumber(`coverage-${name}`, coverage[name]);
    }
    $('coverage-summary').textContent =
      `${coverage.reporting} of ${coverage.forces} forces are in the sum; ` +
      `${coverage.forces - coverage.reporting} are not (named below).`;
    const missing = coverage.missing || [];
    setNumber('missing-count', missing.length);
    $('missing-list').replaceChildren(
      ...missing.map((m) =>
        el('li', { 'data-force': m.force.id, 'data-outcome': m.outcome }, [
          el('strong', { text: m.force.name }),
          `: ${OUTCOMES[m.outcome] || m.outcome}`,
          m.reason
            ? el('span', { className: 'sub', text: ` (${m.reason.code}: ${m.reason.message})` })
            : null,
        ]),
      ),
    );
  }

  function renderFreshness(national, sources) {
    const reported = national.forces.filter((e) => e.outcome === 'REPORTED' && e.figure);
    const ages = reported.map((e) => e.figure.ageSeconds).filter((a) => typeof a === 'number');
    setNumber('fresh-stale', national.coverage.stale);
    $('fresh-newest').textContent = ages.length ? fmtAge(Math.min(...ages)) : '–';
    $('fresh-median').textContent = ages.length ? fmtAge(median(ages)) : '–';
    $('fresh-oldest').textContent = ages.length ? fmtAge(Math.max(...ages)) : '–';
    const dates = reported
      .map((e) => e.figure.asAt && e.figure.asAt.date)
      .filter(Boolean)
      .sort();
    const oldest = dates.length ? daysBetween(dates[0], national.asAt) : 0;
    $('freshness-dates').textContent = dates.length
      ? `Figures in the sum are dated ${dates[0]}${dates[0] === dates[dates.length - 1] ? '' : ` to ${dates[dates.length - 1]}`}` +
        ` (the oldest ${oldest === 0 ? 'on the date shown' : `${oldest} ${oldest === 1 ? 'day' : 'days'} before it`}); ` +
        'ages are since the gateway fetched them.'
      : 'No figure is in the sum.';
    const byState = {};
    for (const s of sources) byState[s.state] = (byState[s.state] || 0) + 1;
    const parts = Object.keys(byState)
      .sort()
      .map((k) => `${byState[k]} ${k}`);
    $('sources-summary').textContent = `${sources.length} sources: ${parts.join(', ') || 'none'}.`;
  }

  function renderPublished(national, simulatedInSum) {
    setNumber('our-sum', national.unaccounted.value);
    $('our-sum-simulated').hidden = !simulatedInSum;
    const totals = national.publishedTotals || [];
    $('published-empty').hidden = totals.length > 0;
    fillTable(
      $('published-table'),
      totals.map((t) => {
        const simulated = /^SIMULATED/i.test((t.source && t.source.title) || '');
        return el('tr', { 'data-value': t.value }, [
          el('td', { className: 'num' }, [
            el('strong', { text: fmtInt(t.value) }),
            simulated ? ' ' : null,
            simulated ? simBadge() : null,
          ]),
          el('td', {
            text:
              t.forcesResponded !== null && t.forcesResponded !== undefined
                ? `${t.forcesResponded}${t.forcesAsked ? ` of ${t.forcesAsked}` : ''} responded`
                : '–',
          }),
          el('td', { text: fmtDate(t.asAt) }),
          el('td', {}, [sourceLink(t.source && t.source.title, t.source && t.source.url)]),
        ]);
      }),
    );
  }

  /** A force's name without the words every force shares, for the chart's axis on narrow screens. */
  function shortName(name) {
    return name
      .replace(/^Police Service of (Northern Ireland|Scotland).*$/, '$1')
      .replace(/ (Police Service|Police Force|Constabulary|Police)$/, '')
      .replace(/^Metropolitan$/, 'Metropolitan (London)');
  }

  const SERIES = [
    { simulated: false, stale: false, label: 'Reported, fresh', color: '#1f5fbf' },
    { simulated: false, stale: true, label: 'Reported, stale', color: '#d4a72c' },
    { simulated: true, stale: false, label: 'SIMULATED, fresh', color: '#6f42c1' },
    { simulated: true, stale: true, label: 'SIMULATED, stale', color: '#d4a72c' },
  ];

  function renderChart(national) {
    const entries = national.forces
      .filter((e) => e.outcome === 'REPORTED' && e.figure && typeof e.figure.value === 'number')
      .sort((a, b) => b.figure.value - a.figure.value || a.force.name.localeCompare(b.force.name));
    const anySimulated = entries.some((e) => e.figure.provenance && e.figure.provenance.simulated);
    $('chart-simulated').hidden = !anySimulated;
    $('chart-caption').textContent = entries.length
      ? `${entries.length === 1 ? 'The one force' : `The ${entries.length} forces`} in the sum as at ${longDate(national.asAt)}, largest first${anySimulated ? '; SIMULATED figures in purple' : ''}, stale figures in amber.`
      : `No force is in the sum as at ${longDate(national.asAt)}.`;
    $('force-chart').setAttribute(
      'aria-label',
      `Bar chart of each reporting force's figure as at ${longDate(national.asAt)}`,
    );
    const box = $('chart-box');
    box.style.height = `${Math.max(140, entries.length * 22 + 70)}px`;
    if (typeof window.Chart !== 'function') {
      $('chart-caption').textContent += ' (The chart library did not load; see the table below.)';
      return;
    }
    const isStale = (e) => Boolean(e.stale || e.figure.freshness === 'STALE');
    const isSim = (e) => Boolean(e.figure.provenance && e.figure.provenance.simulated);
    const datasets = SERIES.filter((s) =>
      entries.some((e) => isSim(e) === s.simulated && isStale(e) === s.stale),
    ).map((s) => ({
      label: s.label,
      backgroundColor: s.color,
      borderWidth: 0,
      barThickness: 14,
      data: entries.map((e) => (isSim(e) === s.simulated && isStale(e) === s.stale ? e.figure.value : null)),
    }));
    const data = { labels: entries.map((e) => e.force.name), datasets };
    if (state.chart) {
      state.chart.data = data;
      state.chart.update('none');
      return;
    }
    state.chart = new window.Chart($('force-chart'), {
      type: 'bar',
      data,
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, beginAtZero: true, position: 'top', ticks: { precision: 0 } },
          y: {
            stacked: true,
            ticks: {
              autoSkip: false,
              font: { size: 11 },
              // Full names where there is room; on a phone, names without "Police", "Constabulary"...
              callback(value) {
                const label = this.getLabelForValue(value);
                return this.chart.width < 600 ? shortName(label) : label;
              },
            },
          },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: {
            filter: (item) => item.raw !== null,
            callbacks: { label: (item) => `${item.dataset.label}: ${fmtInt(item.raw)}` },
          },
        },
      },
    });
  }

  function renderForceTable(national) {
    const rows = [...national.forces]
      .sort((a, b) => a.force.name.localeCompare(b.force.name))
      .map((e) => {
        const f = e.figure;
        const sim = f && f.provenance && f.provenance.simulated;
        const freshness = f ? f.freshness : null;
        return el('tr', { 'data-force': e.force.id, 'data-value': f && f.value !== null ? f.value : '' }, [
          el('th', { scope: 'row', text: e.force.name }),
          el('td', { className: 'num' }, [
            f && typeof f.value === 'number' ? fmtInt(f.value) : '–',
            sim ? ' ' : null,
            sim ? simBadge() : null,
          ]),
          el('td', {
            text: e.outcome === 'REPORTED' ? (f ? f.status : e.outcome) : OUTCOMES[e.outcome] || e.outcome,
          }),
          el('td', {
            className: freshness ? `state-${freshness}` : undefined,
            text: freshness ? `${freshness}, ${fmtAge(f.ageSeconds)}` : '–',
          }),
          el('td', { text: f ? fmtDate(f.asAt) : '–' }),
          el('td', {}, [f && f.provenance ? sourceLink(f.provenance.title, f.provenance.url) : '–']),
        ]);
      });
    fillTable($('force-table'), rows);
  }

  function renderSources(sources) {
    fillTable(
      $('sources-table'),
      sources.map((s) =>
        el('tr', { 'data-source': s.id, 'data-state': s.state }, [
          el('th', { scope: 'row' }, [
            s.id,
            s.simulated ? ' ' : null,
            s.simulated ? simBadge() : null,
            el('span', { className: 'title' }, [
              `${s.kind}/${s.shape}`,
              el('span', { className: 'long-title', text: `: ${s.title}` }),
            ]),
          ]),
          el('td', { className: `state-${s.state}`, text: s.state }),
          el(
            'td',
            {
              className: s.error ? 'state-ERROR error-cell' : 'error-cell',
              'data-error': s.error ? s.error.code : '',
            },
            [
              s.error ? s.error.code : '–',
              s.error ? el('span', { className: 'title', text: s.error.message }) : null,
            ],
          ),
          el('td', { className: `state-${s.breaker}`, text: s.breaker }),
          el('td', {
            className: 'num',
            text: typeof s.latencyMs === 'number' ? `${fmtInt(s.latencyMs)} ms` : '–',
          }),
          el('td', { className: 'num', text: fmtAge(s.ageSeconds) }),
        ]),
      ),
    );
  }

  // ---------------------------------------------------------------- the date shown and the series

  /** The view line, the controls and the notes under them. */
  function renderView(shown) {
    const { choice, national, series } = shown;
    const summary = $('view-summary');
    summary.dataset.date = choice.date;
    summary.dataset.latest = choice.latest;
    summary.dataset.mode = choice.pinned ? 'chosen' : 'latest';
    if (!choice.anyFigure) {
      summary.textContent = `Showing ${longDate(choice.date)}: no configured source gives a headline figure yet.`;
    } else if (!choice.pinned) {
      summary.textContent = `Showing ${longDate(choice.date)}, the latest date the configured sources give figures for.`;
    } else {
      summary.textContent =
        `Showing ${longDate(choice.date)}, as chosen. The latest date the configured sources give figures ` +
        `for is ${longDate(choice.latest)}.`;
    }

    const dateInput = $('date-input');
    dateInput.min = series.from < '1900-01-01' ? '1900-01-01' : series.from;
    dateInput.max = todayUtc();
    // Not while someone is typing in it.
    if (document.activeElement !== dateInput) dateInput.value = choice.date;
    $('latest-button').disabled = !choice.pinned;

    const windowSelect = $('window-select');
    const windows = new Set(WINDOW_CHOICES);
    if (state.defaultWindow) windows.add(state.defaultWindow);
    windows.add(choice.window);
    const options = [...windows].sort((a, b) => a - b);
    if ([...windowSelect.options].map((o) => Number(o.value)).join() !== options.join()) {
      windowSelect.replaceChildren(
        ...options.map((w) =>
          el('option', {
            value: w,
            text: `${w} days${w === state.defaultWindow ? ' (gateway default)' : ''}`,
          }),
        ),
      );
    }
    windowSelect.value = String(choice.window);
    $('every-select').value = choice.every;

    const d = state.defaultWindow;
    const note = $('window-note');
    note.dataset.window = String(choice.window);
    note.dataset.reason = choice.windowReason;
    note.textContent =
      choice.windowReason === 'survey'
        ? `Window ${choice.window} days: these figures come from surveys months or years apart, so a force's ` +
          `latest figure counts if dated up to a year before the date (with the gateway's ${d} days, no force ` +
          'has one as at today).'
        : choice.windowReason === 'chosen'
          ? `Window ${choice.window} days, as chosen: a force's latest figure counts if dated up to ` +
            `${choice.window} days before the date${d ? ` (the gateway's default is ${d})` : ''}.`
          : `Window ${choice.window} days, the gateway's default: a force's latest figure counts if dated up to ` +
            `${choice.window} days before the date.`;

    // When the date shown has few forces, say where the series has most (and offer to go there).
    const widest = series.points.reduce(
      (best, p) => (!p.gap && (!best || p.coverage.reporting >= best.coverage.reporting) ? p : best),
      null,
    );
    const widestNote = $('widest-note');
    const offer =
      widest && widest.asAt !== choice.date && national.coverage.reporting * 2 <= widest.coverage.reporting;
    widestNote.hidden = !offer;
    if (offer) {
      $('widest-text').textContent =
        `Only ${national.coverage.reporting} of ${national.coverage.forces} forces ` +
        `${national.coverage.reporting === 1 ? 'has' : 'have'} a figure for this date; ` +
        `the series has most as at ${longDate(widest.asAt)} (${widest.coverage.reporting} forces).`;
      const button = $('widest-button');
      button.dataset.date = widest.asAt;
      button.textContent = `Show ${longDate(widest.asAt)}`;
    }
  }

  /** A diagonal hatch for gap columns (drawn once; a pattern, so no inline style is needed). */
  function hatch() {
    if (state.hatch) return state.hatch;
    const tile = document.createElement('canvas');
    tile.width = 8;
    tile.height = 8;
    const g = tile.getContext('2d');
    g.fillStyle = 'rgba(87, 96, 106, 0.08)';
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = 'rgba(87, 96, 106, 0.45)';
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(0, 8);
    g.lineTo(8, 0);
    g.stroke();
    state.hatch = g.createPattern(tile, 'repeat');
    return state.hatch;
  }

  /** The index of the point whose period holds `day` (null when none does). */
  function pointIndexOf(points, day) {
    const i = points.findIndex((p) => p.periodStart <= day && day <= p.asAt);
    return i === -1 ? null : i;
  }

  /** Tooltip lines of one point (also read out when the chart has focus). */
  function pointLines(p, windowDays) {
    const c = p.coverage;
    if (p.gap) {
      return [
        `Gap: no force has a figure dated up to ${windowDays} days before ${longDate(p.asAt)} (not zero)`,
      ];
    }
    return [
      `Our sum: ${fmtInt(p.unaccounted.value)}, ${c.reporting} of ${c.forces} forces` +
        (c.stale ? `, ${c.stale} stale` : '') +
        (c.withheld ? `, ${c.withheld} withheld` : '') +
        (c.unavailable ? `, ${c.unavailable} unavailable` : ''),
    ];
  }

  function publishedLine(t) {
    const responded =
      t.forcesResponded !== null && t.forcesResponded !== undefined
        ? `, ${t.forcesResponded}${t.forcesAsked ? ` of ${t.forcesAsked}` : ''} forces responded`
        : '';
    return `Published: ${fmtInt(t.value)} (${t.scope}, as at ${shortDate(t.asAt)}${responded}). Source: ${
      (t.source && t.source.title) || '–'
    }`;
  }

  function renderSeries(shown) {
    const { series, choice, simulated } = shown;
    const points = series.points;
    const published = points.map((p) => (p.publishedTotals || []).filter(isComparable));
    const labels = points.map((p) => periodLabel(series.every, p.periodStart));
    const forces = points.reduce((m, p) => Math.max(m, p.coverage.forces), 0);
    const selected = pointIndexOf(points, choice.date);
    shown.seriesPublished = published;
    shown.seriesSelected = selected;

    $('series-simulated').hidden = !simulated;
    const gaps = points.filter((p) => p.gap).length;
    const span = daysBetween(series.from, series.to);
    const years = Math.round(span / 365.25);
    const spanText =
      span === 0
        ? 'the figures are all dated one day'
        : years >= 2
          ? `the figures span ${years} years`
          : `the figures span ${span} ${span === 1 ? 'day' : 'days'}`;
    const caption = $('series-caption');
    caption.dataset.every = series.every;
    caption.dataset.points = String(points.length);
    caption.dataset.gaps = String(gaps);
    caption.textContent =
      `A point per ${INTERVALS[series.every]}` +
      (choice.everyReason === 'auto' ? ` (${spanText})` : '') +
      `, ${longDate(series.from)} to ${longDate(series.to)}: our sum as at each period's last day with the ` +
      `${series.windowDays}-day window; bars count its forces (right axis), hatched columns are gaps ` +
      (gaps ? `(${gaps} here: no force had a figure, which is not zero)` : '(none here)') +
      ', triangles are totals others published.';

    const maxPublished = published.reduce((m, list) => Math.max(m, list.length), 0);
    const datasets = [
      {
        type: 'line',
        group: 'sum',
        label: 'Our sum',
        order: 1,
        yAxisID: 'y',
        data: points.map((p) => (p.gap ? null : p.unaccounted.value)),
        spanGaps: false,
        borderColor: SUM_COLOR,
        backgroundColor: SUM_COLOR,
        borderWidth: 2,
        pointRadius: points.map((_, i) => (i === selected ? 6 : 3)),
        pointHoverRadius: 7,
        pointHitRadius: 10,
        pointBackgroundColor: points.map((_, i) => (i === selected ? '#ffffff' : SUM_COLOR)),
        pointBorderWidth: points.map((_, i) => (i === selected ? 3 : 1)),
      },
    ];
    for (let k = 0; k < maxPublished; k += 1) {
      datasets.push({
        type: 'line',
        group: 'published',
        label: 'Published total (not in our sum)',
        order: 0,
        yAxisID: 'y',
        showLine: false,
        data: published.map((list) => (list[k] ? list[k].value : null)),
        pointStyle: 'triangle',
        pointRadius: (ctx) => (ctx.chart.width >= 560 ? 7 : 5),
        pointHoverRadius: 9,
        pointHitRadius: 8,
        backgroundColor: '#d9480f',
        borderColor: '#7a2a08',
        borderWidth: 1,
      });
    }
    datasets.push(
      {
        type: 'bar',
        group: 'forces',
        pointStyle: 'rect',
        label: `Forces in the sum (of ${forces})`,
        order: 2,
        yAxisID: 'y1',
        data: points.map((p) => (p.gap ? null : p.coverage.reporting)),
        backgroundColor: points.map((_, i) =>
          i === selected ? 'rgba(31, 95, 191, 0.35)' : 'rgba(31, 95, 191, 0.15)',
        ),
        borderColor: 'rgba(31, 95, 191, 0.6)',
        borderWidth: points.map((_, i) => (i === selected ? 2 : 0)),
        barPercentage: 0.7,
        maxBarThickness: 48,
        categoryPercentage: 0.9,
        grouped: false,
      },
      {
        type: 'bar',
        group: 'gap',
        pointStyle: 'rect',
        label: 'Gap: no force has a figure',
        order: 3,
        yAxisID: 'y1',
        data: points.map((p) => (p.gap ? forces : null)),
        backgroundColor: hatch(),
        borderColor: points.map((_, i) => (i === selected ? '#1b1f24' : GAP_BORDER)),
        borderWidth: points.map((_, i) => (i === selected ? 2 : 1)),
        barPercentage: 1,
        maxBarThickness: 96,
        categoryPercentage: 1,
        grouped: false,
      },
    );
    const data = { labels, datasets };
    renderSeriesTable(shown, labels, published);

    if (typeof window.Chart !== 'function') return;
    if (state.seriesChart) {
      state.seriesChart.data = data;
      state.seriesChart.options.scales.y1.max = forces || undefined;
      state.seriesChart.update('none');
      return;
    }
    state.seriesChart = new window.Chart($('series-chart'), {
      type: 'bar',
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkipPadding: 8, font: { size: 11 } }, grid: { display: false } },
          y: {
            position: 'left',
            beginAtZero: true,
            ticks: { precision: 0 },
            title: { display: wideChart(), text: 'Unaccounted for' },
          },
          y1: {
            position: 'right',
            beginAtZero: true,
            max: forces || undefined,
            grid: { drawOnChartArea: false },
            ticks: { precision: 0 },
            title: { display: wideChart(), text: 'Forces' },
          },
        },
        // Axis titles only where there is room for them beside the plot.
        onResize: (chart) => {
          chart.options.scales.y.title.display = wideChart();
          chart.options.scales.y1.title.display = wideChart();
        },
        onClick: (event, elements, chart) => {
          const near = chart.getElementsAtEventForMode(event, 'nearest', { intersect: true }, true);
          const hit = near.find((e) => chart.data.datasets[e.datasetIndex].group === 'published');
          if (hit) {
            const t = seriesPublishedAt(hit.datasetIndex, hit.index);
            if (t) chooseDate(firstDayOf(t.asAt));
            return;
          }
          if (elements.length && state.shown) chooseDate(state.shown.series.points[elements[0].index].asAt);
        },
        plugins: {
          legend: {
            position: 'bottom',
            labels: {
              boxWidth: 12,
              // Each entry drawn as its marks are: a triangle, a dot, a bar, a hatched column.
              usePointStyle: true,
              boxHeight: 9,
              // A legend entry takes its colours from the first point, which may be the chosen one.
              generateLabels: (chart) =>
                window.Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
                  const ds = chart.data.datasets[item.datasetIndex];
                  if (ds.group === 'sum')
                    Object.assign(item, { fillStyle: SUM_COLOR, strokeStyle: SUM_COLOR });
                  if (ds.group === 'forces') Object.assign(item, { lineWidth: 0 });
                  if (ds.group === 'gap') Object.assign(item, { strokeStyle: GAP_BORDER, lineWidth: 1 });
                  return item;
                }),
              // The published totals are one or more datasets (a period can hold several): one entry.
              filter: (item, chartData) => {
                const ds = chartData.datasets[item.datasetIndex];
                return (
                  ds.group !== 'published' ||
                  chartData.datasets.indexOf(ds) === firstOfGroup(chartData, 'published')
                );
              },
            },
            onClick: (_event, item, legend) => {
              const chart = legend.chart;
              const group = chart.data.datasets[item.datasetIndex].group;
              const visible = chart.isDatasetVisible(item.datasetIndex);
              chart.data.datasets.forEach((ds, i) => {
                if (ds.group === group) chart.setDatasetVisibility(i, !visible);
              });
              chart.update();
            },
          },
          tooltip: {
            filter: (item) => item.raw !== null && item.raw !== undefined,
            callbacks: {
              title: (items) => {
                const p = items.length && state.shown ? state.shown.series.points[items[0].dataIndex] : null;
                return p ? `${items[0].label}: as at ${longDate(p.asAt)}` : '';
              },
              label: (item) => {
                const shownNow = state.shown;
                if (!shownNow) return '';
                const p = shownNow.series.points[item.dataIndex];
                const group = item.dataset.group;
                if (group === 'sum')
                  return pointLines(p, shownNow.series.windowDays).flatMap((l) =>
                    wrap(l, tooltipWidth(item.chart)),
                  );
                if (group === 'gap')
                  return pointLines(p, shownNow.series.windowDays).flatMap((l) =>
                    wrap(l, tooltipWidth(item.chart)),
                  );
                if (group === 'forces')
                  return `Forces in the sum: ${p.coverage.reporting} of ${p.coverage.forces}`;
                const t = seriesPublishedAt(item.datasetIndex, item.dataIndex);
                return t ? wrap(publishedLine(t), tooltipWidth(item.chart)) : '';
              },
            },
          },
        },
      },
    });
  }

  function wideChart() {
    return window.innerWidth >= 600;
  }

  /** Characters per tooltip line that fit the chart (chart.js neither wraps nor clamps a tooltip). */
  function tooltipWidth(chart) {
    return Math.max(28, Math.min(60, Math.floor((chart.width - 40) / 7)));
  }

  function firstOfGroup(chartData, group) {
    return chartData.datasets.findIndex((ds) => ds.group === group);
  }

  /** The published total a marker stands for: the k-th comparable total of its point. */
  function seriesPublishedAt(datasetIndex, index) {
    const chart = state.seriesChart;
    const shown = state.shown;
    if (!chart || !shown) return null;
    const k = datasetIndex - firstOfGroup(chart.data, 'published');
    const list = shown.seriesPublished[index] || [];
    return list[k] || null;
  }

  /** Keyboard reading of the series: the arrows move a highlighted point, whose tooltip shows and is read out. */
  function focusSeriesPoint(index) {
    const chart = state.seriesChart;
    const shown = state.shown;
    if (!chart || !shown || !shown.series.points.length) return;
    const n = shown.series.points.length;
    const i = Math.max(0, Math.min(n - 1, index));
    state.seriesFocus = i;
    const active = [];
    chart.data.datasets.forEach((ds, d) => {
      if (chart.isDatasetVisible(d) && ds.data[i] !== null && ds.data[i] !== undefined) {
        active.push({ datasetIndex: d, index: i });
      }
    });
    chart.setActiveElements(active);
    const meta = chart.getDatasetMeta(0).data[i];
    const anchor = meta ? { x: meta.x, y: chart.chartArea.top + 10 } : { x: 0, y: 0 };
    chart.tooltip.setActiveElements(active, anchor);
    chart.update();
    const p = shown.series.points[i];
    $('series-focus-text').textContent = [
      `${periodLabel(shown.series.every, p.periodStart)}, as at ${longDate(p.asAt)}.`,
      ...pointLines(p, shown.series.windowDays),
      ...(shown.seriesPublished[i] || []).map(publishedLine),
    ].join(' ');
  }

  function blurSeries() {
    const chart = state.seriesChart;
    state.seriesFocus = null;
    $('series-focus-text').textContent = '';
    if (!chart) return;
    chart.setActiveElements([]);
    chart.tooltip.setActiveElements([], { x: 0, y: 0 });
    chart.update();
  }

  function renderSeriesTable(shown, labels, published) {
    const { series } = shown;
    fillTable(
      $('series-table'),
      series.points.map((p, i) => {
        const c = p.coverage;
        const names = (c.reportingForces || []).map((f) => f.name);
        return el(
          'tr',
          {
            'data-period': p.periodStart,
            'data-as-at': p.asAt,
            'data-gap': p.gap ? 'true' : 'false',
            'data-value': p.gap ? '' : p.unaccounted.value,
            'data-reporting': c.reporting,
            'data-published': published[i].map((t) => t.value).join(' '),
            className: i === shown.seriesSelected ? 'selected' : undefined,
          },
          [
            el('th', { scope: 'row' }, [
              labels[i],
              el('span', { className: 'title', text: `as at ${p.asAt}` }),
            ]),
            el('td', { className: 'num', text: p.gap ? 'gap' : fmtInt(p.unaccounted.value) }),
            el('td', {}, [
              names.length
                ? el('details', {}, [
                    el('summary', {
                      text: `${c.reporting} of ${c.forces}${c.stale ? `, ${c.stale} stale` : ''}`,
                    }),
                    el('span', { className: 'title', text: names.join(', ') }),
                  ])
                : `0 of ${c.forces}`,
            ]),
            el(
              'td',
              {},
              published[i].length
                ? published[i].map((t) =>
                    el('div', { className: 'pub' }, [
                      el('strong', { text: fmtInt(t.value) }),
                      ` ${t.scope}, ${shortDate(t.asAt)}: `,
                      sourceLink(t.source && t.source.title, t.source && t.source.url),
                    ]),
                  )
                : ['–'],
            ),
            el('td', {}, [
              el('button', {
                type: 'button',
                className: 'secondary show-date',
                'data-date': p.asAt,
                'aria-label': `Show ${longDate(p.asAt)}`,
                text: 'Show',
              }),
            ]),
          ],
        );
      }),
    );
  }

  // ---------------------------------------------------------------- breakdowns

  /** The dimension the picker asks for (the address's, or the default). */
  function currentDimension() {
    return state.view.by || DEFAULT_DIMENSION;
  }

  /** A category as a column heading: "2014", "Rape", "Level 2", "At least 8 years". */
  function categoryLabel(dimension, category) {
    if (dimension === 'MAPPA_LEVEL' || dimension === 'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL')
      return `Level ${category}`;
    if (dimension === 'MISSING_FOR_AT_LEAST_YEARS')
      return `At least ${category} ${category === '1' ? 'year' : 'years'}`;
    if (dimension === 'OFFENCE_CATEGORY') {
      const text = String(category).toLowerCase().replace(/_/g, ' ');
      return text.charAt(0).toUpperCase() + text.slice(1);
    }
    return String(category);
  }

  /** The counts disclosure control hides for threshold k: "a count from 1 to 2" (k = 3). */
  function smallCounts(k) {
    return k <= 2 ? 'a count of 1' : `a count from 1 to ${k - 1}`;
  }

  const plural = (n, one, many) => `${fmtInt(n)} ${n === 1 ? one : many}`;

  /**
   * Reads one national breakdown; never throws but for a key that is not accepted (401), so that a
   * breakdown the gateway cannot give leaves the rest of the page standing.
   */
  async function loadBreakdown(dimension, asAt, windowDays) {
    const base = { dimension, asAt, windowDays, table: null, error: null };
    try {
      const data = await run('national-breakdown', { dimension, asAt, windowDays });
      return { ...base, table: data.nationalBreakdown };
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      return {
        ...base,
        error:
          error instanceof ApiError && error.code === 'NO_OPERATION'
            ? 'This gateway offers the dashboard no breakdowns.'
            : `Could not read the breakdowns: ${error && error.message ? error.message : String(error)}`,
      };
    }
  }

  /** Reads and shows the picked dimension for the date shown (a whole refresh when one is under way). */
  async function refreshBreakdown() {
    if (state.refreshing || !state.shown) {
      refresh();
      return;
    }
    const seq = ++state.breakdownSeq;
    const dimension = currentDimension();
    const { date, window: windowDays } = state.shown.choice;
    breakdownLoading(dimension);
    let result;
    try {
      result = await loadBreakdown(dimension, date, windowDays);
    } catch (error) {
      handleError(error);
      return;
    }
    if (seq !== state.breakdownSeq || !signedIn()) return;
    state.shown.breakdown = result;
    renderBreakdown(result);
  }

  function breakdownLoading(dimension) {
    const section = $('breakdowns');
    section.dataset.state = 'loading';
    section.setAttribute('aria-busy', 'true');
    $('breakdown-status').textContent = `Reading the breakdowns by ${DIMENSION_PHRASES[dimension]}…`;
  }

  /** "Scroll sideways" under the table, while it is wider than its box. */
  function breakdownScrollHint() {
    const box = $('breakdown-scroll');
    $('breakdown-scroll-hint').hidden = box.hidden || box.scrollWidth <= box.clientWidth + 1;
  }

  function clearBreakdown() {
    const section = $('breakdowns');
    section.dataset.state = 'idle';
    section.removeAttribute('aria-busy');
    $('breakdown-status').textContent = '';
    $('breakdown-scroll').hidden = true;
    $('breakdown-title').hidden = true;
    $('breakdown-scroll-hint').hidden = true;
    const table = $('breakdown-table');
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren();
    table.tFoot.replaceChildren();
    for (const id of ['breakdown-none', 'breakdown-coverage', 'breakdown-control', 'breakdown-audit'])
      $(id).hidden = true;
    $('breakdown-legend').hidden = true;
    $('breakdown-simulated').hidden = true;
  }

  /** One cell of a shown or suppressed row. */
  function breakdownCell(cell, category, k) {
    if (!cell) {
      return el('td', {
        className: 'num cell-none',
        'data-category': category,
        'data-status': '',
        title: "Not in this force's breakdown",
        text: '–',
      });
    }
    if (cell.status === 'REPORTED') {
      return el('td', {
        className: 'num',
        'data-category': category,
        'data-status': 'REPORTED',
        'data-value': cell.value,
        text: fmtInt(cell.value),
      });
    }
    if (cell.status === 'SUPPRESSED') {
      return el(
        'td',
        {
          className: 'num cell-suppressed',
          'data-category': category,
          'data-status': 'SUPPRESSED',
          title:
            `Suppressed: hidden by disclosure control` +
            (k ? `: ${smallCounts(k)} could point at a person` : ''),
        },
        [
          el('span', { className: 'mark', 'aria-hidden': 'true', text: '•' }),
          el('span', { className: 'visually-hidden', text: 'suppressed' }),
        ],
      );
    }
    return el('td', {
      className: 'num cell-other',
      'data-category': category,
      'data-status': cell.status,
      text: CELL_STATUSES[cell.status] || cell.status.toLowerCase(),
    });
  }

  /** The small line under a force's name: its breakdown's date, and what is hidden or missing. */
  function rowNotes(row, asAt) {
    const b = row.breakdown;
    const notes = [];
    if (row.disclosure === 'SUPPRESSED')
      notes.push(el('span', { className: 'tag suppressed', text: 'suppressed' }));
    if (b && !b.complete && row.disclosure !== 'NOT_REPORTED')
      notes.push(
        el('span', {
          className: 'tag incomplete',
          'data-incomplete': 'true',
          title: "The force's cells cover only part of its count",
          text: typeof row.headline === 'number' ? `part of ${fmtInt(row.headline)}` : 'part of its count',
        }),
      );
    if (b && b.asAt && b.asAt.date && b.asAt.date !== asAt)
      notes.push(el('span', { className: 'title', text: `as at ${shortDate(b.asAt)}` }));
    return notes.length ? el('span', { className: 'row-notes' }, notes) : null;
  }

  function renderBreakdown(result) {
    const section = $('breakdowns');
    section.removeAttribute('aria-busy');
    section.dataset.dimension = result.dimension;
    section.dataset.asAt = result.asAt;
    section.dataset.window = String(result.windowDays);
    $('breakdown-dimension').value = result.dimension;
    const status = $('breakdown-status');
    const label = DIMENSIONS[result.dimension] || result.dimension;
    const phrase = DIMENSION_PHRASES[result.dimension] || label;
    const t = result.table;
    if (!t) {
      clearBreakdown();
      section.dataset.state = 'error';
      status.textContent = result.error || 'No breakdowns.';
      return;
    }
    const k = t.disclosureK;
    section.dataset.k = k === null || k === undefined ? '' : String(k);
    const rows = t.rows
      .filter((r) => r.disclosure !== 'NONE')
      .sort((a, b) => a.force.name.localeCompare(b.force.name));
    const c = t.coverage;
    const when = `as at ${longDate(t.asAt)} (figures dated up to ${plural(t.windowDays, 'day', 'days')} before it)`;
    const isSim = (r) => Boolean(r.breakdown && r.breakdown.provenance && r.breakdown.provenance.simulated);
    const anySimulated = rows.some(isSim);
    $('breakdown-simulated').hidden = !anySimulated;
    // The heading says SIMULATED; a row says so too only when some rows are not.
    const markRows = anySimulated && !rows.every(isSim);

    if (!rows.length) {
      clearBreakdown();
      section.dataset.state = 'empty';
      section.dataset.dimension = result.dimension;
      status.textContent = `No force has a breakdown by ${phrase} ${when}.`;
      return;
    }
    section.dataset.state = 'ready';
    status.textContent =
      `${rows.length === 1 ? 'One force has' : `${fmtInt(rows.length)} forces have`} a breakdown by ` +
      `${phrase} ${when}.`;

    const categories = t.categories;
    const span = Math.max(1, categories.length);
    const table = $('breakdown-table');
    const caption =
      `${label}, by force, as at ${longDate(t.asAt)}` +
      (k ? `: cells under disclosure control (k\u00a0=\u00a0${k})` : ': every cell (analyst)');
    $('breakdown-caption').textContent = caption;
    $('breakdown-title').textContent = caption;
    $('breakdown-title').hidden = false;

    table.tHead.replaceChildren(
      el('tr', {}, [
        el('th', { scope: 'col', text: 'Force' }),
        ...(categories.length
          ? categories.map((cat) =>
              el('th', {
                scope: 'col',
                className: 'num',
                'data-category': cat,
                text: categoryLabel(t.dimension, cat),
              }),
            )
          : [el('th', { scope: 'col', text: 'Categories' })]),
        el('th', { scope: 'col', className: 'num total' }, [
          'Row total',
          el('span', { className: 'title', text: "the force's count" }),
        ]),
      ]),
    );

    const bodyRows = rows.map((row) => {
      const b = row.breakdown;
      const sim = markRows && isSim(row);
      const cells = [];
      if (row.disclosure === 'NOT_REPORTED') {
        cells.push(
          el('td', {
            className: 'cell-withheld',
            colspan: span,
            'data-status': (b && b.status) || 'NOT_REPORTED',
            text: NOT_REPORTED_TEXT[b && b.status] || 'withheld by the force: no cell reported',
          }),
        );
      } else if (!categories.length) {
        cells.push(el('td', { className: 'cell-none', text: '–' }));
      } else {
        const byCategory = new Map(((b && b.cells) || []).map((cell) => [cell.category, cell]));
        for (const cat of categories) cells.push(breakdownCell(byCategory.get(cat), cat, k));
      }
      return el(
        'tr',
        {
          'data-force': row.force.id,
          'data-disclosure': row.disclosure,
          'data-complete': b ? String(b.complete) : '',
          'data-headline': typeof row.headline === 'number' ? row.headline : '',
          className: `row-${row.disclosure.toLowerCase()}`,
        },
        [
          el('th', { scope: 'row' }, [
            // The whole name, or on a phone the name without "Police", "Constabulary"...
            el('span', { className: 'name-full', text: row.force.name }),
            el('span', { className: 'name-short', text: shortName(row.force.name) }),
            sim ? ' ' : null,
            sim ? simBadge() : null,
            rowNotes(row, t.asAt),
          ]),
          ...cells,
          el('td', {
            className: 'num total',
            'data-headline': typeof row.headline === 'number' ? row.headline : '',
            title: typeof row.headline === 'number' ? undefined : 'The force gave no count for this date',
            text: fmtInt(row.headline),
          }),
        ],
      );
    });
    table.tBodies[0].replaceChildren(...bodyRows);

    // The totals: each category over the shown forces (never a suppressed cell), as the API sums them.
    const shownRows = rows.filter((r) => r.disclosure === 'SHOWN');
    const shownHeadlines = shownRows.every((r) => typeof r.headline === 'number')
      ? shownRows.reduce((sum, r) => sum + r.headline, 0)
      : null;
    const totals = new Map(t.columnTotals.map((ct) => [ct.category, ct]));
    table.tFoot.replaceChildren(
      el('tr', { 'data-testid': 'breakdown-totals' }, [
        el('th', { scope: 'row' }, [
          'Total of shown forces',
          el('span', { className: 'title', text: `${fmtInt(c.shown)} of ${fmtInt(c.forces)} forces` }),
        ]),
        ...(categories.length
          ? categories.map((cat) => {
              const ct = totals.get(cat);
              if (!ct) return el('td', { className: 'num', 'data-category': cat, text: '–' });
              if (ct.value === null)
                return el('td', {
                  className: 'num cell-other',
                  'data-category': cat,
                  'data-value': '',
                  title: 'Withdrawn by the disclosure audit: with it, a suppressed cell could be worked out',
                  text: 'withdrawn',
                });
              return el('td', { className: 'num', 'data-category': cat, 'data-value': ct.value }, [
                fmtInt(ct.value),
                el('span', { className: 'title', text: plural(ct.forces, 'force', 'forces') }),
              ]);
            })
          : [el('td', { text: '–' })]),
        el('td', {
          className: 'num total',
          'data-value': shownHeadlines === null ? '' : shownHeadlines,
          title: 'The shown forces’ counts added up',
          text: fmtInt(shownHeadlines),
        }),
      ]),
    );
    $('breakdown-scroll').hidden = false;
    breakdownScrollHint();

    // Under the table: who is not in it, what the totals cover, and how the cells were controlled.
    const none = $('breakdown-none');
    none.hidden = c.none === 0;
    none.dataset.none = String(c.none);
    none.textContent =
      `${plural(c.none, 'force has', 'forces have')} no breakdown by this dimension within the window ` +
      '(not listed).';

    const coverage = $('breakdown-coverage');
    coverage.hidden = false;
    coverage.textContent =
      `Column totals are of shown forces only: ${fmtInt(c.shown)} of ${fmtInt(c.forces)} forces` +
      (c.shownIncomplete
        ? ` (${c.shownIncomplete === c.shown && c.shown === 1 ? 'it is' : `${fmtInt(c.shownIncomplete)} of them`} ` +
          'incomplete: their cells cover part of the row total)'
        : '') +
      (c.suppressed
        ? `; ${plural(c.suppressed, 'force', 'forces')} with ` +
          (typeof c.suppressedPeople === 'number'
            ? plural(c.suppressedPeople, 'person', 'people')
            : 'an unknown number of people') +
          ' suppressed'
        : '') +
      (c.notReported ? `; ${plural(c.notReported, 'force', 'forces')} withheld by the force` : '') +
      '.';

    const control = $('breakdown-control');
    control.hidden = false;
    control.textContent = k
      ? `Threshold k = ${k}: ${smallCounts(k)} could point at a person, so it is hidden, and with it every ` +
        "other reported cell of that force's breakdown (none can be worked out from the row total)."
      : 'Every cell shown (analyst): this key sees the breakdowns without disclosure control; dashboard and ' +
        'journalist keys see small counts suppressed.';

    const audit = $('breakdown-audit');
    audit.hidden = !t.audit;
    if (t.audit) {
      const withdrawn = t.audit.withdrawnTotals || [];
      audit.textContent =
        `Disclosure audit passed: ${plural(t.audit.cellsChecked, 'suppressed cell', 'suppressed cells')} ` +
        `checked (${plural(t.audit.solves, 'linear program', 'linear programs')} solved)` +
        (withdrawn.length
          ? `; column ${withdrawn.length === 1 ? 'total' : 'totals'} withdrawn: ` +
            `${withdrawn.map((cat) => categoryLabel(t.dimension, cat)).join(', ')}`
          : '') +
        '.';
    }

    const legend = [];
    if (bodyRows.some((tr) => tr.querySelector('.cell-suppressed')))
      legend.push(
        el('li', { 'data-key': 'suppressed' }, [
          el('span', { className: 'mark', 'aria-hidden': 'true', text: '•' }),
          ` suppressed: hidden by disclosure control${k ? `: ${smallCounts(k)} could point at a person` : ''}.`,
        ]),
      );
    if (rows.some((r) => r.breakdown && !r.breakdown.complete && r.disclosure !== 'NOT_REPORTED'))
      legend.push(
        el('li', { 'data-key': 'incomplete' }, [
          el('span', { className: 'tag incomplete', text: 'part of N' }),
          " the force's cells cover only part of its count N (the row total).",
        ]),
      );
    if (categories.length && bodyRows.some((tr) => tr.querySelector('.cell-none')))
      legend.push(el('li', { 'data-key': 'none' }, ["– not in the force's breakdown."]));
    const legendList = $('breakdown-legend');
    legendList.replaceChildren(...legend);
    legendList.hidden = !legend.length;
  }

  function render(result) {
    const { national, sources } = result;
    const simulatedInSum = national.forces.some(
      (e) => e.outcome === 'REPORTED' && e.figure && e.figure.provenance && e.figure.provenance.simulated,
    );
    const anySimulated =
      simulatedInSum ||
      sources.some((s) => s.simulated) ||
      national.forces.some((e) => e.figure && e.figure.provenance && e.figure.provenance.simulated);
    $('simulated-banner').hidden = !anySimulated;
    renderTotal(national, simulatedInSum);
    renderCoverage(national.coverage);
    renderFreshness(national, sources);
    renderPublished(national, simulatedInSum);
    const shown = { ...result, simulated: anySimulated };
    state.shown = shown;
    renderView(shown);
    renderSeries(shown);
    renderChart(national);
    renderForceTable(national);
    renderSources(sources);
    // A breakdown read for another dimension than the one now picked waits for its own answer.
    const breakdown = result.breakdown;
    if (breakdown && result.breakdownSeq === state.breakdownSeq && breakdown.dimension === currentDimension())
      renderBreakdown(breakdown);
    state.version += 1;
    document.body.dataset.version = String(state.version);
    document.body.dataset.state = 'ready';
    const now = new Date();
    $('updated-at').textContent = `Updated ${now.toLocaleTimeString('en-GB')}`;
    $('updated-at').dataset.at = now.toISOString();
  }

  function showError(message) {
    const banner = $('error-banner');
    banner.textContent = message;
    banner.hidden = !message;
  }

  // ---------------------------------------------------------------- refresh, live updates, polling

  /** The interval for a series that spans `from` to `to`, when none is chosen: about 5 to 60 points. */
  function chooseEvery(from, to) {
    const days = daysBetween(from, to);
    if (days > 5 * 365) return 'YEAR';
    if (days > 548) return 'QUARTER';
    return 'MONTH';
  }

  /** Drops null and undefined variables (an operation's default applies to a variable not sent). */
  function compact(variables) {
    return Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== null && v !== undefined));
  }

  /**
   * Reads what the page shows for `view`. First, at once: the series (its `to` is the latest date a source
   * gives a headline figure for), the sources, and, unless a window is chosen, today's national picture
   * with the gateway's window (does it hold any force? if not, the figures are surveys: a year's window).
   * Then the date shown (the chosen one, or the latest) with the window, the series again if its
   * interval or window was not yet the one chosen, and the picked breakdown as at that date.
   */
  async function load(view) {
    const breakdownSeq = ++state.breakdownSeq;
    const firstEvery = view.every || state.autoEvery || 'YEAR';
    const firstWindow = view.window || state.autoWindow;
    const [first, status, today] = await Promise.all([
      run('national-series', compact({ every: firstEvery, windowDays: firstWindow })),
      run('sources-status'),
      view.window ? null : run('national-latest'),
    ]);
    const firstSeries = first.nationalSeries;
    if (today) state.defaultWindow = today.national.windowDays;
    else if (!firstWindow) state.defaultWindow = firstSeries.windowDays;
    const latest = firstSeries.to;
    const anyFigure = firstSeries.points.some((p) => !p.gap);

    let windowDays;
    let windowReason;
    if (view.window) {
      windowDays = view.window;
      windowReason = 'chosen';
    } else if (today.national.coverage.reporting > 0 || !anyFigure) {
      windowDays = today.national.windowDays;
      windowReason = 'default';
    } else {
      windowDays = Math.max(SURVEY_WINDOW_DAYS, today.national.windowDays);
      windowReason = 'survey';
    }
    if (!view.window) state.autoWindow = windowDays;
    const every = view.every || chooseEvery(firstSeries.from, firstSeries.to);
    if (!view.every) state.autoEvery = every;
    const date = view.date || latest;

    const sameSeries = firstSeries.every === every && firstSeries.windowDays === windowDays;
    const sameNational = today && today.national.asAt === date && today.national.windowDays === windowDays;
    const [series, national, breakdown] = await Promise.all([
      sameSeries ? first : run('national-series', { every, windowDays }),
      sameNational ? today : run('national-latest', { asAt: date, windowDays }),
      loadBreakdown(view.by || DEFAULT_DIMENSION, date, windowDays),
    ]);
    return {
      national: national.national,
      sources: status.sources,
      series: series.nationalSeries,
      breakdown,
      breakdownSeq,
      choice: {
        date,
        latest,
        anyFigure,
        pinned: Boolean(view.date),
        window: windowDays,
        windowReason,
        every,
        everyReason: view.every ? 'chosen' : 'auto',
      },
    };
  }

  // ---------------------------------------------------------------- the view in the address

  /**
   * The date, window, interval and breakdown dimension the query string asks for; what is not valid is
   * named in `problems`.
   */
  function readView(search) {
    const params = new URLSearchParams(search);
    const view = { date: null, window: null, every: null, by: null, problems: [] };
    const date = params.get('date');
    if (date !== null) {
      if (isPastDay(date)) view.date = date;
      else
        view.problems.push(
          `The address asks for date=${date}, which is not a day from 1900 to today: the latest date is shown.`,
        );
    }
    const windowDays = params.get('window');
    if (windowDays !== null) {
      const n = Number(windowDays);
      if (/^\d{1,4}$/.test(windowDays) && n >= 1 && n <= MAX_WINDOW_DAYS) view.window = n;
      else
        view.problems.push(
          `The address asks for window=${windowDays}, which is not a whole number of days from 1 to ${MAX_WINDOW_DAYS}.`,
        );
    }
    const every = params.get('every');
    if (every !== null) {
      if (Object.hasOwn(INTERVALS, every)) view.every = every;
      else view.problems.push(`The address asks for every=${every}: it must be MONTH, QUARTER or YEAR.`);
    }
    const by = params.get('by');
    if (by !== null) {
      if (Object.hasOwn(DIMENSIONS, by)) view.by = by;
      else
        view.problems.push(
          `The address asks for by=${by}: it must be one of ${Object.keys(DIMENSIONS).join(', ')}.`,
        );
    }
    return view;
  }

  /** The query string of a view (only what was chosen), e.g. "?date=2018-01-17&window=365&by=MAPPA_LEVEL". */
  function viewSearch(view) {
    const params = new URLSearchParams();
    if (view.date) params.set('date', view.date);
    if (view.window) params.set('window', String(view.window));
    if (view.every) params.set('every', view.every);
    if (view.by) params.set('by', view.by);
    const text = params.toString();
    return text ? `?${text}` : '';
  }

  /** Shows `view`: the address follows (a new history entry, so Back returns), then the figures. */
  function setView(view) {
    state.view = { date: view.date, window: view.window, every: view.every, by: view.by, problems: [] };
    const search = viewSearch(state.view);
    if (search !== location.search) history.pushState(null, '', `${location.pathname}${search}`);
    // The keyboard position in the series starts again from the point shown.
    state.seriesFocus = null;
    refresh();
  }

  /** Another breakdown dimension: the address follows, and only the breakdown is read again. */
  function chooseDimension(by) {
    if (!Object.hasOwn(DIMENSIONS, by) || by === currentDimension()) return;
    state.view = { ...state.view, by, problems: [] };
    const search = viewSearch(state.view);
    if (search !== location.search) history.pushState(null, '', `${location.pathname}${search}`);
    refreshBreakdown();
  }

  function chooseDate(day) {
    if (!isPastDay(day)) return;
    setView({ ...state.view, date: day });
  }

  /** Runs the operations and renders them; concurrent calls coalesce into one more run. */
  function refresh() {
    if (state.refreshing) {
      state.again = true;
      return state.refreshing;
    }
    state.refreshing = (async () => {
      do {
        state.again = false;
        try {
          const result = await load(state.view);
          if (!signedIn()) return;
          render(result);
          showError(state.view.problems.join(' '));
        } catch (error) {
          handleError(error);
          return;
        }
      } while (state.again && signedIn());
    })().finally(() => {
      state.refreshing = null;
    });
    return state.refreshing;
  }

  function handleError(error) {
    if (state.session && error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      const why =
        error.status === 401
          ? 'Your session has ended (signed out, expired or revoked).'
          : error.code === 'CSRF_REJECTED'
            ? 'The page could not prove it is this gateway’s own.'
            : `Your role may not run the dashboard's operations (${error.message}).`;
      forgetKey(`${why} Sign in again, or enter a dashboard key.`);
      return;
    }
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      const why =
        error.status === 401
          ? 'That key was not accepted.'
          : `That key may not run the dashboard's operations (${error.message}).`;
      forgetKey(`${why} Enter a dashboard key.`);
      return;
    }
    if (error instanceof ApiError && error.status === 429) {
      showError(`Too many requests for this key; the page will try again shortly. (${error.message})`);
      return;
    }
    showError(`Could not update the figures: ${error && error.message ? error.message : String(error)}`);
    if (document.body.dataset.state === 'loading') document.body.dataset.state = 'error';
  }

  function scheduleRefresh() {
    const now = Date.now();
    if (!state.debounceTimer) state.firstEventAt = now;
    clearTimeout(state.debounceTimer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, state.firstEventAt + MAX_WAIT_MS - now));
    state.debounceTimer = setTimeout(() => {
      state.debounceTimer = null;
      refresh();
    }, wait);
  }

  function setLive(mode, text) {
    state.liveMode = mode;
    const node = $('live-status');
    node.dataset.live = mode;
    node.textContent = text;
    schedulePolling();
  }

  function schedulePolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = null;
    if (!signedIn()) return;
    state.pollTimer = setInterval(() => refresh(), state.liveMode === 'on' ? LIVE_POLL_MS : POLL_MS);
  }

  function subscribe() {
    const op = state.operations['figures-changed'];
    state.unsubscribe = state.live.subscribe(
      { query: op.document, operationName: op.operationName, variables: {} },
      {
        next: (message) => {
          if (message && message.errors && message.errors.length) return;
          document.body.dataset.lastEvent = new Date().toISOString();
          scheduleRefresh();
        },
        error: (error) => {
          const reason =
            error && typeof error.code === 'number'
              ? `closed ${error.code}${error.reason ? `: ${error.reason}` : ''}`
              : Array.isArray(error) && error[0] && error[0].message
                ? error[0].message
                : (error && error.message) || 'failed';
          setLive('polling', `Live updates unavailable (${reason}); refreshing every 30 s`);
          state.unsubscribe = null;
          clearTimeout(state.resubscribeTimer);
          state.resubscribeTimer = setTimeout(() => {
            if (signedIn() && state.live && !state.unsubscribe) subscribe();
          }, RESUBSCRIBE_MS);
        },
        complete: () => {
          state.unsubscribe = null;
          if (signedIn()) setLive('polling', 'Live updates ended; refreshing every 30 s');
        },
      },
    );
  }

  function connectLive() {
    const op = state.operations && state.operations['figures-changed'];
    if (!op || !window.graphqlWs) {
      setLive('polling', 'Live updates not offered; refreshing every 30 s');
      return;
    }
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
    setLive('connecting', 'Live updates: connecting…');
    state.connectedOnce = false;
    state.live = window.graphqlWs.createClient({
      url,
      // A signed-in page's WebSocket carries the cookie by itself; its CSRF token goes here.
      connectionParams: () =>
        state.session ? { csrfToken: state.session.csrf } : { authorization: `Bearer ${state.key}` },
      retryAttempts: 1_000,
      retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** retries))),
      on: {
        connected: () => {
          setLive('on', 'Live updates: on');
          // Changes while disconnected were missed: catch up once on every reconnection.
          if (state.connectedOnce) scheduleRefresh();
          state.connectedOnce = true;
        },
        closed: () => {
          if (signedIn() && state.liveMode === 'on') setLive('connecting', 'Live updates: reconnecting…');
        },
      },
    });
    subscribe();
  }

  function disconnectLive() {
    clearTimeout(state.resubscribeTimer);
    if (state.unsubscribe) state.unsubscribe();
    state.unsubscribe = null;
    if (state.live) state.live.dispose();
    state.live = null;
  }

  // ---------------------------------------------------------------- key handling

  function showKeyPanel(message) {
    $('key-panel').hidden = false;
    $('dashboard').hidden = true;
    $('status-bar').hidden = true;
    const error = $('key-error');
    error.textContent = message || '';
    error.hidden = !message;
    document.body.dataset.state = 'locked';
    $('key-input').focus();
  }

  function forgetKey(message) {
    state.key = null;
    state.session = null;
    try {
      sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      // storage unavailable: the key was only in memory
    }
    disconnectLive();
    clearInterval(state.pollTimer);
    clearTimeout(state.debounceTimer);
    state.debounceTimer = null;
    state.liveMode = 'off';
    if (state.chart) state.chart.destroy();
    state.chart = null;
    if (state.seriesChart) state.seriesChart.destroy();
    state.seriesChart = null;
    state.shown = null;
    state.breakdownSeq += 1;
    clearBreakdown();
    showKeyPanel(message);
  }

  /** Opens the dashboard with a credential: `{ key }`, or `{ session: { csrf, role } }`. */
  async function start(credential) {
    state.key = credential.key || null;
    state.session = credential.session || null;
    $('forget-key').hidden = !state.key;
    $('sign-out').hidden = !state.session;
    $('signed-in-as').hidden = !state.session;
    $('signed-in-as').textContent = state.session ? `Signed in (${state.session.role})` : '';
    $('key-panel').hidden = true;
    $('dashboard').hidden = false;
    $('status-bar').hidden = false;
    document.body.dataset.state = 'loading';
    try {
      state.operations = await loadOperations();
    } catch (error) {
      handleError(error);
      return;
    }
    await refresh();
    if (!signedIn()) return;
    connectLive();
  }

  /** Ends the session everywhere (`POST /auth/sign-out`, with its CSRF token), then asks again. */
  async function signOut() {
    const session = state.session;
    if (!session) return;
    try {
      await fetch('/auth/sign-out', {
        method: 'POST',
        cache: 'no-store',
        credentials: 'same-origin',
        headers: { 'x-csrf-token': session.csrf },
      });
    } catch {
      // the gateway cannot be reached: the page forgets the session all the same
    }
    forgetKey('You have signed out.');
  }

  /** Offers sign-in beside the key when the gateway has it; the link comes back to this view. */
  function offerSignIn() {
    const link = $('sign-in-link');
    link.href = `/auth/sign-in?return=${encodeURIComponent(location.pathname + location.search)}`;
    $('sign-in-panel').hidden = false;
    // Signing in replaces a saved key: the session is then the page's credential.
    link.addEventListener('click', () => {
      try {
        sessionStorage.removeItem(KEY_STORAGE);
      } catch {
        // storage unavailable: nothing saved
      }
    });
  }

  /** The date, window and interval controls, the series' keyboard reading, and Back/Forward. */
  function initViewControls() {
    state.view = readView(location.search);
    const dateInput = $('date-input');
    const applyDate = () => {
      clearTimeout(state.dateTimer);
      state.dateTimer = null;
      const day = dateInput.value;
      if (!day) return;
      if (!isPastDay(day)) {
        showError(`${day} is not a day from 1900 to today.`);
        return;
      }
      if (day !== (state.shown && state.shown.choice.date) || !state.view.date) chooseDate(day);
    };
    dateInput.addEventListener('input', () => {
      clearTimeout(state.dateTimer);
      state.dateTimer = setTimeout(applyDate, DATE_DEBOUNCE_MS);
    });
    dateInput.addEventListener('change', () => {
      clearTimeout(state.dateTimer);
      state.dateTimer = setTimeout(applyDate, DATE_DEBOUNCE_MS);
    });
    // Enter in the date field shows it at once.
    $('view-form').addEventListener('submit', (event) => {
      event.preventDefault();
      applyDate();
    });
    $('window-select').addEventListener('change', (event) => {
      setView({ ...state.view, window: Number(event.target.value) });
    });
    $('every-select').addEventListener('change', (event) => {
      setView({ ...state.view, every: event.target.value });
    });
    $('breakdown-dimension').value = currentDimension();
    $('breakdown-dimension').addEventListener('change', (event) => chooseDimension(event.target.value));
    $('breakdown-form').addEventListener('submit', (event) => event.preventDefault());
    window.addEventListener('resize', breakdownScrollHint);
    $('latest-button').addEventListener('click', () => setView({ ...state.view, date: null }));
    $('widest-button').addEventListener('click', (event) => chooseDate(event.currentTarget.dataset.date));
    $('series-table').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-date]');
      if (button) chooseDate(button.dataset.date);
    });
    const canvas = $('series-chart');
    canvas.addEventListener('focus', () => {
      const shown = state.shown;
      if (!shown) return;
      const last = shown.series.points.length - 1;
      focusSeriesPoint(state.seriesFocus ?? shown.seriesSelected ?? last);
    });
    canvas.addEventListener('blur', () => blurSeries());
    canvas.addEventListener('keydown', (event) => {
      const shown = state.shown;
      if (!shown || !shown.series.points.length) return;
      const at = state.seriesFocus ?? shown.seriesSelected ?? shown.series.points.length - 1;
      const moves = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: shown.series.points.length - 1 };
      if (event.key in moves) {
        event.preventDefault();
        focusSeriesPoint(moves[event.key]);
      } else if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        chooseDate(shown.series.points[at].asAt);
      }
    });
    window.addEventListener('popstate', () => {
      state.view = readView(location.search);
      $('breakdown-dimension').value = currentDimension();
      if (signedIn()) refresh();
    });
  }

  function init() {
    $('key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = $('key-input').value.trim();
      if (!/^\S{8,256}$/.test(key)) {
        showKeyPanel('Enter the whole key: one word, no spaces.');
        return;
      }
      $('key-input').value = '';
      try {
        sessionStorage.setItem(KEY_STORAGE, key);
      } catch {
        // storage unavailable: keep the key in memory for this page only
      }
      start({ key });
    });
    $('forget-key').addEventListener('click', () => forgetKey(''));
    $('sign-out').addEventListener('click', () => signOut());
    $('refresh-button').addEventListener('click', () => refresh());
    initViewControls();
    let saved;
    try {
      saved = sessionStorage.getItem(KEY_STORAGE);
    } catch {
      saved = null;
    }
    if (saved) {
      start({ key: saved });
      readSession().then((auth) => auth.signIn && offerSignIn());
      return;
    }
    readSession().then((auth) => {
      if (auth.signIn) offerSignIn();
      // A key entered meanwhile is the page's credential already.
      if (signedIn()) return;
      if (auth.signedIn) start({ session: { csrf: auth.csrfToken, role: auth.role } });
      else showKeyPanel('');
    });
  }

  init();
})();
