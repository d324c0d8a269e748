export * from './enums.js';
export * from './fixtures.js';
export * from './inputs.js';
export * from './limits.js';
export * from './schema-sdl.js';
export * from './validation.js';
