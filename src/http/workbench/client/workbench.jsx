/*
 * The analysts' workbench: GraphiQL 5 (Monaco editors, schema docs, autocompletion, variables, history,
 * tabs) against this gateway's /graphql, with an API key the person pastes in. The key is kept in this
 * tab's sessionStorage only and sent as a bearer token; it never goes into the address or into
 * GraphiQL's own storage (which keeps tabs and history in localStorage, per kind of key). Where the
 * gateway offers sign-in (OpenID Connect: operations.json says `signIn: true`), a person may sign in
 * instead, as on the dashboard: the session cookie then goes with every request, with the session's
 * CSRF token (from GET /auth/session) in `X-CSRF-Token`, and a session works exactly as a key of its role.
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
import { createFetcher, credentialInit } from './fetcher.js';
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

/**
 * The approved operations (document ids and texts), as the gateway serves them to any page, and whether
 * it offers sign-in: `{ operations, signIn }`.
 */
async function loadOperations() {
  const res = await fetch('/workbench/operations.json', { credentials: 'omit', cache: 'no-cache' });
  if (!res.ok) throw new Error(`the list of approved operations answered HTTP ${res.status}`);
  const json = await res.json();
  return { operations: json.operations, signIn: json.signIn === true };
}

/** This browser's session (`GET /auth/session`): `{ csrf, role }` when signed in, else null. */
async function readSession() {
  try {
    const res = await fetch('/auth/session', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return null;
    const json = await res.json();
    return json.signedIn ? { csrf: json.csrfToken, role: json.role } : null;
  } catch {
    return null;
  }
}

/** Ends the session everywhere (`POST /auth/sign-out`, with its CSRF token). */
async function signOutSession(csrf) {
  try {
    await fetch('/auth/sign-out', {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'x-csrf-token': csrf },
    });
  } catch {
    // The gateway cannot be reached: the page forgets the session all the same.
  }
}

/** The message of a GraphQL or plain-HTTP error answer, or a fallback. */
function messageOf(json, fallback) {
  return (json && json.errors && json.errors[0] && json.errors[0].message) || fallback;
}

/**
 * What a credential (`{ key }` or a session's `{ csrf }`) may do, as the gateway's access policy says
 * (`GET /workbench/key.json`): `{ ok: true, role, ownQueries, approved }` with the approved queries its
 * role may run, or `{ ok: false, message }`.
 */
async function checkKey(credential, operations) {
  const { credentials, headers } = credentialInit(credential);
  const res = await fetch('/workbench/key.json', {
    credentials,
    cache: 'no-store',
    headers: { accept: 'application/json', ...headers },
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Said below by status.
  }
  if (res.status === 401)
    return {
      ok: false,
      message: credential.csrf
        ? 'Your session has ended (signed out, expired or revoked). Sign in again.'
        : 'That key was not accepted (unknown, revoked or mistyped).',
    };
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

function Header({ session, signedIn, onForget, onSignOut }) {
  return (
    <header className="wb-header">
      <h1>
        <a href="/">Whereabouts</a> <span>workbench</span>
      </h1>
      {session ? (
        <div className="wb-session">
          <span className="wb-mode" data-testid="mode" data-mode={session.ownQueries ? 'full' : 'approved'}>
            {session.role} {signedIn ? 'session' : 'key'} ·{' '}
            {session.ownQueries ? 'own queries' : 'approved operations only'}
          </span>
          {signedIn ? (
            <button type="button" className="wb-secondary" data-testid="sign-out" onClick={onSignOut}>
              Sign out
            </button>
          ) : (
            <button type="button" className="wb-secondary" data-testid="forget-key" onClick={onForget}>
              Forget key
            </button>
          )}
        </div>
      ) : null}
    </header>
  );
}

/** Sign-in, offered beside the key where the gateway has it; it comes back to this page. */
function SignIn() {
  const href = `/auth/sign-in?return=${encodeURIComponent(location.pathname + location.search)}`;
  return (
    <div className="wb-sign-in">
      <p>Sign in with your organisation's account, or enter a key below.</p>
      {/* Signing in replaces a saved key: the session is then the page's credential. */}
      <a className="wb-button" href={href} data-testid="sign-in" onClick={() => storeKey('')}>
        Sign in
      </a>
    </div>
  );
}

function Locked({ busy, error, signIn, onSubmit }) {
  return (
    <main className="wb-locked" data-testid="locked">
      <section className="wb-card" aria-labelledby="wb-key-heading">
        <h2 id="wb-key-heading">
          {signIn ? 'Open the workbench: sign in or use an API key' : 'Open the workbench with an API key'}
        </h2>
        <p>
          A GraphQL workbench for this gateway: write and run queries with the schema's documentation,
          autocompletion, variables and history. An analyst's or operator's key may run its own queries; a
          dashboard or journalist key may run the approved operations, by document id.
        </p>
        {signIn ? <SignIn /> : null}
        <KeyForm busy={busy} error={error} onSubmit={onSubmit} />
        <p className="wb-hint">
          The key is kept in this tab only (sessionStorage) and sent as an <code>Authorization</code> header,
          never in the address; signing in keeps no key (the session is a cookie this page cannot read). The
          figures are counts: there is no personal data here.
        </p>
      </section>
    </main>
  );
}

function Ide({ credential, session, operations }) {
  const { ownQueries, approved } = session;
  const fetcher = useMemo(
    () => createFetcher({ credential, operations, ownQueries }),
    [credential, operations, ownQueries],
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
  // `{ operations, signIn }` from operations.json.
  const [boot, setBoot] = useState(null);
  // The page's credential: `{ key }`, or a signed-in session's `{ csrf, role }` (see createFetcher).
  const [credential, setCredential] = useState(() => {
    const key = storedKey();
    return key ? { key } : null;
  });
  // What the credential may do (key.json), once checked.
  const [session, setSession] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const operations = boot ? boot.operations : null;

  useEffect(() => {
    loadOperations().then(setBoot, (e) => setError(`The workbench could not start: ${e.message}`));
  }, []);

  const openWith = useCallback(
    async (given) => {
      if (!operations) return;
      setBusy(true);
      setError('');
      try {
        const checked = await checkKey(given, operations);
        if (!checked.ok) {
          if (given.key) storeKey('');
          setCredential(null);
          setSession(null);
          setError(checked.message);
          return;
        }
        if (given.key) storeKey(given.key);
        setCredential(given);
        setSession(checked);
      } catch (e) {
        setError(`The ${given.key ? 'key' : 'session'} could not be checked: ${e.message}`);
      } finally {
        setBusy(false);
      }
    },
    [operations],
  );
  const useKey = useCallback((key) => openWith({ key }), [openWith]);

  // A key kept in this tab is used again after a reload; else a signed-in session, where there is sign-in.
  useEffect(() => {
    if (!boot || session) return;
    if (credential && credential.key) {
      openWith(credential);
      return;
    }
    if (!boot.signIn) return;
    setBusy(true);
    readSession().then((signedIn) => {
      setBusy(false);
      if (signedIn) openWith(signedIn);
    });
  }, [boot]); // once, when the operations arrive

  const forget = () => {
    storeKey('');
    setCredential(null);
    setSession(null);
  };

  const signOut = async () => {
    const csrf = credential && credential.csrf;
    if (!csrf) return;
    await signOutSession(csrf);
    setCredential(null);
    setSession(null);
    setError('You have signed out.');
  };

  const state = session ? 'ready' : busy ? 'checking' : 'locked';
  useEffect(() => {
    document.body.dataset.state = state;
  }, [state]);

  return (
    <div className="wb-app">
      <Header
        session={session}
        signedIn={Boolean(credential && credential.csrf)}
        onForget={forget}
        onSignOut={signOut}
      />
      {session ? (
        <Ide credential={credential} session={session} operations={operations} />
      ) : (
        <Locked
          busy={busy || !operations}
          error={error}
          signIn={Boolean(boot && boot.signIn)}
          onSubmit={useKey}
        />
      )}
    </div>
  );
}
