/**
 * The browser entry of @steadfast/client (package.json "browser" condition): everything but
 * FileDraftStore, so a bundle never pulls in node:fs.
 */
export * from './core.js';
