/* global WORKBENCH_WORKERS */
/*
 * Monaco runs its language services in web workers. Each is bundled as its own classic-worker script with
 * a content-hashed name under /workbench/assets/ (`worker-src 'self'`); the build writes their addresses
 * into WORKBENCH_WORKERS. No worker is made from a blob: or loaded from another origin.
 */
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const url = WORKBENCH_WORKERS[label] || WORKBENCH_WORKERS.editor;
    return new Worker(url, { name: `workbench-${label}` });
  },
};
