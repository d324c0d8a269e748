import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createAuth } from './server.js';

const logger = createLogger('auth');
const auth = await createAuth(readEnvironment(), logger);
await runService(auth.server, logger, () => auth.close());
