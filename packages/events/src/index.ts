export { createEventsService, type EventsService } from './service.js';
export { readEnvironment, environmentSchema, type Environment } from './environment.js';
export { auditTrailProjection, searchProjection, userCopiesProjection } from './projections.js';
export * as testing from './testing.js';
