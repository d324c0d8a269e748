export { createCountryConfig, type CountryConfig } from './server.js';
export { readEnvironment, type Environment } from './environment.js';
