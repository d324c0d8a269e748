import { createLogger, runService } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { createWorkflow } from './server.js';

const logger = createLogger('workflow');
const workflow = await createWorkflow(readEnvironment(), logger);
await runService(workflow.server, logger, () => workflow.close());
