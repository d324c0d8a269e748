export { createAuth, type AuthService } from './server.js';
export { readEnvironment, type Environment } from './environment.js';
export { DEMO_USERS, DEMO_PASSWORD } from './users.js';
