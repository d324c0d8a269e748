/** The Node entry of @steadfast/client: the browser's exports plus FileDraftStore (node:fs). */
export * from './core.js';
export { FileDraftStore } from './stores/file-store.js';
