export { createAuthServer } from './server.js';
export { readEnvironment, type Environment } from './environment.js';
