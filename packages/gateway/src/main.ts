import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createGateway } from './server.js';

const logger = createLogger('gateway');
const gateway = await createGateway(readEnvironment(), logger);
await runService(gateway.server, logger, () => gateway.close());
