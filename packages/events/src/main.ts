import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createEventsService } from './service.js';

const logger = createLogger('events');
const service = await createEventsService(readEnvironment(), logger);
await runService(service.server, logger, () => service.close());
