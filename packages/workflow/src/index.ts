export { createWorkflow, type Workflow } from './server.js';
export { readEnvironment, type Environment } from './environment.js';
export { SearchIndex, applyChanges, toSearchDocument, type SearchDocument } from './search/search-index.js';
export { refreshAllCopies, refreshActorCopy } from './records/actors.js';
export { rebuildSearchIndex, type RebuildReport } from './search/rebuild.js';
