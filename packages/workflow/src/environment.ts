import { envPort, readEnv, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

export const environmentSchema = storeEnvSchema.extend({
  WORKFLOW_HOST: z.string().min(1).default('127.0.0.1'),
  WORKFLOW_PORT: envPort.default(7072),
});

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
