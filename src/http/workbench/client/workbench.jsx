/*
 * The analysts' workbench: GraphiQL 5 (Monaco editors, schema docs, autocompletion, variables, history,
 * tabs) against this gateway's /graphql, with an API key the person pastes in. The key is kept in this
 * tab's sessionStorage only and sent as a bearer token; it never goes into the address or into
 * GraphiQL's own storage (which keeps tabs and history in localStorage, per kind of key).
 *
 * What a key may do decides what the workbench offers, as the gateway's access policy says
 * (src/access/policy.ts, asked through GET /workbench/key.json): a key that may send its own query text (analyst, operator) gets the whole IDE,
 * with the schema from introspection and example operations in tabs; any other key (dashboard,
 * journalist) gets the approved operations it may run, each opened with its variables and run by
 * document id, and no schema (introspection is not theirs).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { createLocalStorage } from '@graphiql/toolkit';
import { EXAMPLES } from './examples.js';
import { createFetcher } from './fetcher.js';
import { approvedTab, operationsPlugin } from './operations-plugin.jsx';

const KEY_STORAGE = 'whereabouts.workbenchKey';

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}

function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage refused (a private window's quota): the key lives only as long as this page.
  }
}

/** The approved operations (document ids and texts), as the gateway serves them to any page. */
async function loadOperations() {
  const res = await fetch('/workbench/operations.json', { credentials: 'omit', cache: 'no-cache' });
  if (!res.ok) throw new Error(`the list of approved operations answered HTTP ${res.status}`);
  return (await res.json()).operations;
}

/** The message of a GraphQL or plain-HTTP error answer, or a fallback. */
function messageOf(json, fallback) {
  return (json && json.errors && json.errors[0] && json.errors[0].message) || fallback;
}

/**
 * What `key` may do, as the gateway's access policy says (`GET /workbench/key.json`):
 * `{ ok: true, role, ownQueries, approved }` with the approved queries its role may run, or
 * `{ ok: false, message }`.
 */
async function checkKey(key, operations) {
  const res = await fetch('/workbench/key.json', {
    credentials: 'omit',
    cache: 'no-store',
    headers: { accept: 'application/json', authorization: `Bearer ${key}` },
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Said below by status.
  }
  if (res.status === 401)
    return { ok: false, message: 'That key was not accepted (unknown, revoked or mistyped).' };
  if (res.status === 429)
    return { ok: false, message: `Too many requests: ${messageOf(json, 'try again shortly')}` };
  if (!res.ok || !json)
    return { ok: false, message: messageOf(json, `The gateway answered HTTP ${res.status}.`) };
  const allowed = new Set(json.operations);
  const approved = operations.filter((op) => op.kind === 'query' && allowed.has(op.name));
  return { ok: true, role: json.role, ownQueries: json.ownQueries, approved };
}

function KeyForm({ busy, error, onSubmit }) {
  // Uncontrolled: React would copy a controlled value into the `value` attribute, and the key has no
  // business in the DOM's attributes.
  const input = useRef(null);
  return (
    <form
      className="wb-key-form"
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        const value = input.current ? input.current.value.trim() : '';
        if (value) onSubmit(value);
      }}
    >
      <label htmlFor="wb-key-input">API key</label>
      <div className="wb-key-row">
        <input
          ref={input}
          id="wb-key-input"
          data-testid="key-input"
          type="password"
          required
          spellCheck="false"
          autoCapitalize="off"
          autoComplete="off"
          placeholder="wa_…"
        />
        <button type="submit" data-testid="key-submit" disabled={busy}>
          {busy ? 'Checking…' : 'Use key'}
        </button>
      </div>
      {error ? (
        <p className="wb-error" role="alert" data-testid="key-error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function Header({ session, onForget }) {
  return (
    <header className="wb-header">
      <h1>
        <a href="/">Whereabouts</a> <span>workbench</span>
      </h1>
      {session ? (
        <div className="wb-session">
          <span className="wb-mode" data-testid="mode" data-mode={session.ownQueries ? 'full' : 'approved'}>
            {session.role} key · {session.ownQueries ? 'own queries' : 'approved operations only'}
          </span>
          <button type="button" className="wb-secondary" data-testid="forget-key" onClick={onForget}>
            Forget key
          </button>
        </div>
      ) : null}
    </header>
  );
}

function Locked({ busy, error, onSubmit }) {
  return (
    <main className="wb-locked" data-testid="locked">
      <section className="wb-card" aria-labelledby="wb-key-heading">
        <h2 id="wb-key-heading">Open the workbench with an API key</h2>
        <p>
          A GraphQL workbench for this gateway: write and run queries with the schema's documentation,
          autocompletion, variables and history. An analyst's or operator's key may run its own queries; a
          dashboard or journalist key may run the approved operations, by document id.
        </p>
        <KeyForm busy={busy} error={error} onSubmit={onSubmit} />
        <p className="wb-hint">
          The key is kept in this tab only (sessionStorage) and sent as an <code>Authorization</code> header,
          never in the address. The figures are counts: there is no personal data here.
        </p>
      </section>
    </main>
  );
}

function Ide({ keyValue, session, operations }) {
  const { ownQueries, approved } = session;
  const fetcher = useMemo(
    () => createFetcher({ key: keyValue, operations, ownQueries }),
    [keyValue, operations, ownQueries],
  );
  const plugin = useMemo(
    () => operationsPlugin({ examples: ownQueries ? EXAMPLES : [], approved, ownQueries }),
    [approved, ownQueries],
  );
  // Tabs and history are kept apart for the two kinds of key: a restricted key's tabs never hold text
  // it may not send.
  const storage = useMemo(
    () => createLocalStorage({ namespace: `whereabouts-workbench-${ownQueries ? 'full' : 'approved'}` }),
    [ownQueries],
  );
  const defaultTabs = useMemo(() => {
    if (ownQueries) return EXAMPLES.map(({ query, variables }) => ({ query, variables }));
    const first = approved.find((op) => op.name === 'national-latest') || approved[0];
    return first ? [approvedTab(first)] : [{ query: '' }];
  }, [approved, ownQueries]);
  // GraphiQL fills the first editors from `initialQuery`/`initialVariables`, not from `defaultTabs[0]`
  // (it does take the query from there, but not the variables): give both while nothing is stored yet
  // (GraphiQL keeps its tabs under "graphiql:tabState" in the storage given).
  const firstRun = useMemo(() => !storage.getItem('graphiql:tabState'), [storage]);
  const initial = firstRun
    ? { initialQuery: defaultTabs[0].query, initialVariables: defaultTabs[0].variables }
    : {};
  return (
    <div className="wb-ide" data-testid="ide" data-mode={ownQueries ? 'full' : 'approved'}>
      <GraphiQL
        fetcher={fetcher}
        storage={storage}
        defaultTabs={defaultTabs}
        {...initial}
        plugins={[plugin, HISTORY_PLUGIN]}
        visiblePlugin={plugin}
        // No schema for a key without introspection: GraphiQL then asks for none.
        {...(ownQueries ? {} : { schema: null, referencePlugin: null })}
        isHeadersEditorEnabled={false}
        shouldPersistHeaders={false}
        defaultEditorToolsVisibility="variables"
      >
        <GraphiQL.Logo>
          <span className="wb-logo">GraphiQL</span>
        </GraphiQL.Logo>
      </GraphiQL>
    </div>
  );
}

export function Workbench() {
  const [operations, setOperations] = useState(null);
  const [keyValue, setKeyValue] = useState(storedKey);
  const [session, setSession] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    loadOperations().then(setOperations, (e) => setError(`The workbench could not start: ${e.message}`));
  }, []);

  const useKey = useCallback(
    async (key) => {
      if (!operations) return;
      setBusy(true);
      setError('');
      try {
        const checked = await checkKey(key, operations);
        if (!checked.ok) {
          storeKey('');
          setSession(null);
          setError(checked.message);
          return;
        }
        storeKey(key);
        setKeyValue(key);
        setSession(checked);
      } catch (e) {
        setError(`The key could not be checked: ${e.message}`);
      } finally {
        setBusy(false);
      }
    },
    [operations],
  );

  // A key kept in this tab is used again after a reload.
  useEffect(() => {
    if (operations && keyValue && !session) useKey(keyValue);
  }, [operations]); // once, when the operations arrive

  const forget = () => {
    storeKey('');
    setKeyValue('');
    setSession(null);
  };

  const state = session ? 'ready' : busy ? 'checking' : 'locked';
  useEffect(() => {
    document.body.dataset.state = state;
  }, [state]);

  return (
    <div className="wb-app">
      <Header session={session} onForget={forget} />
      {session ? (
        <Ide keyValue={keyValue} session={session} operations={operations} />
      ) : (
        <Locked busy={busy || !operations} error={error} onSubmit={useKey} />
      )}
    </div>
  );
}
