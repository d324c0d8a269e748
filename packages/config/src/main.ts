import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createCountryConfigServer } from './server.js';

const logger = createLogger('config');
await runService(await createCountryConfigServer(readEnvironment(), logger), logger);
