import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createAuthServer } from './server.js';

const logger = createLogger('auth');
await runService(await createAuthServer(readEnvironment(), logger), logger);
