import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createCountryConfig } from './server.js';

const logger = createLogger('config');
const config = await createCountryConfig(readEnvironment(), logger);
await runService(config.server, logger, () => config.close());
