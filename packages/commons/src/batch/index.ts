export * from './batcher.js';
export * from './mongo.js';
