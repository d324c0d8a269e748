export * from './drafts.js';
export * from './record-jobs.js';
export * from './record-queue.js';
export * from './job-seal.js';
