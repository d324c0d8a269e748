export { percentile, summarize, median, type Summary } from './stats.js';
export { runOpenLoop, sendOffsets, dueCount } from './open-loop.js';
export { searchMaxRate } from './rate-search.js';
export { CountingProxy, countsDelta, type ProxyCounts } from './redis-proxy.js';
export { evaluateTargets, type Target } from './targets.js';
