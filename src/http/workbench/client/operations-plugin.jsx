/*
 * The "Operations" pane in GraphiQL's sidebar: the examples (for keys that may send their own text) and
 * the approved operations this key may run, each with what it does and its variables. "Open" puts one
 * in a new tab; an approved operation then runs by its document id, whatever key runs it (fetcher.js).
 */
import { useGraphiQL, useGraphiQLActions } from '@graphiql/react';
import { print, parse } from 'graphql';

/** Variables to start from, per approved operation: the figures bundled with the gateway reach 2018. */
const STARTING_VARIABLES = {
  'national-latest': { asAt: '2018-01-17' },
  'national-series': { every: 'YEAR', windowDays: 365 },
  'national-breakdown': { dimension: 'YEAR_WENT_MISSING', asAt: '2018-01-17', windowDays: 365 },
  'force-history': { id: 'dorset' },
  'force-breakdowns': { id: 'dorset', asAt: '2018-01-17', dimension: 'YEAR_WENT_MISSING' },
};

/** An approved operation as a tab: a comment saying what it is, its document printed, its variables. */
export function approvedTab(op) {
  const header = [
    `# Approved operation "${op.name}": ${op.description}`,
    '# It runs by document id: change its variables, not its text (changed text is not this operation).',
  ].join('\n');
  const variables = STARTING_VARIABLES[op.name];
  return {
    query: `${header}\n${print(parse(op.document))}\n`,
    variables: variables ? JSON.stringify(variables, null, 2) : '',
  };
}

/** "asAt: Date, id: ID!" */
function variablesText(op) {
  if (!op.variables.length) return 'no variables';
  return op.variables.map((v) => `${v.name}: ${v.type}${v.required ? '!' : ''}`).join(', ');
}

function OperationsIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.5">
      <path d="M4 5h16M4 12h16M4 19h10" strokeLinecap="round" />
    </svg>
  );
}

/** A phone: the pane covers the editors (workbench.css), so opening an operation closes it. */
const PHONE = '(max-width: 640px)';

/** Opens `tab` (query and variables) in a new GraphiQL tab. */
function useOpenTab() {
  const { addTab, setVisiblePlugin } = useGraphiQLActions();
  const queryEditor = useGraphiQL((s) => s.queryEditor);
  const variableEditor = useGraphiQL((s) => s.variableEditor);
  return (tab) => {
    addTab();
    queryEditor?.setValue(tab.query);
    variableEditor?.setValue(tab.variables);
    if (window.matchMedia(PHONE).matches) setVisiblePlugin(null);
  };
}

function Item({ title, testId, description, detail, onOpen }) {
  return (
    <li className="wb-op" data-testid={testId}>
      <div className="wb-op-head">
        <span className="wb-op-title">{title}</span>
        <button
          type="button"
          className="wb-op-open"
          onClick={onOpen}
          aria-label={`Open ${title} in a new tab`}
        >
          Open
        </button>
      </div>
      {description ? <p className="wb-op-description">{description}</p> : null}
      {detail ? <p className="wb-op-detail">{detail}</p> : null}
    </li>
  );
}

/**
 * The plugin for one key: `examples` (possibly none) and `approved`, the approved operations it may run
 * (queries only: subscriptions run over graphql-ws, which the workbench does not speak).
 */
export function operationsPlugin({ examples, approved, ownQueries }) {
  function Content() {
    const open = useOpenTab();
    return (
      <div className="wb-ops" data-testid="operations-pane">
        <div className="graphiql-doc-explorer-title">Operations</div>
        {examples.length ? (
          <section aria-labelledby="wb-examples-heading">
            <h3 id="wb-examples-heading">Examples</h3>
            <ul>
              {examples.map((ex, i) => (
                <Item key={ex.title} title={ex.title} testId={`example-${i}`} onOpen={() => open(ex)} />
              ))}
            </ul>
          </section>
        ) : null}
        <section aria-labelledby="wb-approved-heading">
          <h3 id="wb-approved-heading">Approved operations</h3>
          <p className="wb-op-note">
            {ownQueries
              ? 'Reviewed operations, also served as feeds: these run by document id.'
              : 'This key may run these operations only, by document id: open one, change its variables, run it.'}
          </p>
          <ul data-testid="approved-operations">
            {approved.map((op) => (
              <Item
                key={op.name}
                title={op.name}
                testId={`approved-${op.name}`}
                description={op.description}
                detail={variablesText(op)}
                onOpen={() => open(approvedTab(op))}
              />
            ))}
          </ul>
        </section>
      </div>
    );
  }
  return { title: 'Operations', icon: OperationsIcon, content: Content };
}
