#!/usr/bin/env node
/** Runs the naive gateway as its own process: NAIVE_PORT, and the store variables of commons. */
import { readEnv, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import { openDirectStores } from '../direct-writes.js';
import { createNaiveServer } from './server.js';

const config = storeConfigFrom(readEnv(storeEnvSchema));
const stores = await openDirectStores(config);
const server = await createNaiveServer(stores, Number(process.env['NAIVE_PORT'] ?? 25075));
const stop = async () => {
  await server.stop({ timeout: 5_000 });
  await stores.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
