export { createWorkflow, type Workflow } from './server.js';
export { readEnvironment, type Environment } from './environment.js';
