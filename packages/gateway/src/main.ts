import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createGateway } from './server.js';

const logger = createLogger('gateway');
const gateway = await createGateway(readEnvironment(), logger);
await gateway.metricsServer.start();
logger.info({ url: gateway.metricsServer.info.uri }, 'metrics listening (internal)');
await runService(gateway.server, logger, () => gateway.close());
