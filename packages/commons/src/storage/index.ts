export * from './documents.js';
export * from './record-events.js';
