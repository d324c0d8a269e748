export * from './documents.js';
export * from './record-events.js';
export * from './duplicate-pairs.js';
