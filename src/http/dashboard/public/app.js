/*
 * Whereabouts dashboard. Plain browser script (no build step), served with a strict CSP: no inline code,
 * connections to this origin only. It reads the gateway the way any dashboard client must: approved
 * operations by document id (APQ), with a dashboard key sent as a bearer token. The key lives in
 * sessionStorage (this tab only) and never in the URL. Live updates: the approved `figures-changed`
 * subscription over graphql-ws; polling every 30 s whenever that is not connected.
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
  const BASES = {
    WHEREABOUTS_UNKNOWN: 'Whereabouts unknown',
    WANTED: 'Wanted for breach',
    MISSING_OR_WANTED: 'Missing or wanted (combined)',
  };

  const $ = (id) => document.getElementById(id);

  /** Mutable state of the page. */
  const state = {
    key: null,
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

  /** Runs an approved operation by document id (APQ), with the key as a bearer token. */
  async function run(name, variables) {
    const op = state.operations && state.operations[name];
    if (!op) throw new ApiError(0, 'NO_OPERATION', `the gateway offers no approved operation "${name}"`);
    let res;
    try {
      res = await fetch('/graphql', {
        method: 'POST',
        cache: 'no-store',
        credentials: 'omit',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${state.key}`,
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
    $('national-scope').textContent =
      `${national.name}, as at ${national.asAt}: the latest figure of each force dated within ` +
      `${national.windowDays} days.`;
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
    $('freshness-dates').textContent = dates.length
      ? `Figures in the sum are dated ${dates[0]}${dates[0] === dates[dates.length - 1] ? '' : ` to ${dates[dates.length - 1]}`}; ages are since the gateway fetched them.`
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
      ? `The ${entries.length} forces in the sum, largest first${anySimulated ? '; SIMULATED figures in purple' : ''}, stale figures in amber.`
      : 'No force is in the sum.';
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

  function render(national, sources) {
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
    renderChart(national);
    renderForceTable(national);
    renderSources(sources);
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

  /** Runs both operations and renders them; concurrent calls coalesce into one more run. */
  function refresh() {
    if (state.refreshing) {
      state.again = true;
      return state.refreshing;
    }
    state.refreshing = (async () => {
      do {
        state.again = false;
        try {
          const [n, s] = await Promise.all([run('national-latest'), run('sources-status')]);
          if (!state.key) return;
          render(n.national, s.sources);
          showError('');
        } catch (error) {
          handleError(error);
          return;
        }
      } while (state.again && state.key);
    })().finally(() => {
      state.refreshing = null;
    });
    return state.refreshing;
  }

  function handleError(error) {
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
    if (!state.key) return;
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
            if (state.key && state.live && !state.unsubscribe) subscribe();
          }, RESUBSCRIBE_MS);
        },
        complete: () => {
          state.unsubscribe = null;
          if (state.key) setLive('polling', 'Live updates ended; refreshing every 30 s');
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
      connectionParams: () => ({ authorization: `Bearer ${state.key}` }),
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
          if (state.key && state.liveMode === 'on') setLive('connecting', 'Live updates: reconnecting…');
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
    showKeyPanel(message);
  }

  async function start(key) {
    state.key = key;
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
    if (!state.key) return;
    connectLive();
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
      start(key);
    });
    $('forget-key').addEventListener('click', () => forgetKey(''));
    $('refresh-button').addEventListener('click', () => refresh());
    let saved;
    try {
      saved = sessionStorage.getItem(KEY_STORAGE);
    } catch {
      saved = null;
    }
    if (saved) start(saved);
    else showKeyPanel('');
  }

  init();
})();
