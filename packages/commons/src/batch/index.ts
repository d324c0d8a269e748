export * from './batcher.js';
export * from './mongo.js';
export * from './objects.js';
