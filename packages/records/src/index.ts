/**
 * The records module: what the workflow (which writes records) and the events service (which
 * keeps their projections) both need. The search document has one writer, `SearchIndex`; the
 * record's changes and the copies of users on records are applied here.
 */
export * from './search-index.js';
export * from './duplicate-keys.js';
export * from './actors.js';
export * from './change.js';
export * from './rebuild.js';
