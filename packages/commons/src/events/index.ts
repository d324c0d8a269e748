export * from './domain-event.js';
export * from './batch.js';
export * from './channel.js';
export * from './consumer.js';
export * from './relay.js';
export * from './direct.js';
