/*
 * The workbench's entry point, bundled by src/http/workbench/build.ts. Order matters: the CSP nonce
 * helper and the worker set-up run before GraphiQL or Monaco load.
 */
import './csp-nonce.js';
import './monaco-workers.js';
import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import '@graphiql/react/style.css';
import '@graphiql/plugin-doc-explorer/style.css';
import '@graphiql/plugin-history/style.css';
import 'graphiql/graphiql.css';
import './workbench.css';
import { createRoot } from 'react-dom/client';
import { Workbench } from './workbench.jsx';

createRoot(document.getElementById('workbench')).render(<Workbench />);
