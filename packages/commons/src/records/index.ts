export * from './enums.js';
export * from './fixtures.js';
export * from './inputs.js';
export * from './limits.js';
export * from './schema-sdl.js';
export * from './signatures.js';
export * from './text.js';
export { MAX_CONTENT_TYPE_LENGTH } from './attachment.js';
export * from './validation.js';
