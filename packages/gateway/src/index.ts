export { createGateway, type Gateway } from './server.js';
export { readEnvironment, type Environment } from './environment.js';
