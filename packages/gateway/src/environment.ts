import { envPort, readEnv, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

export const environmentSchema = storeEnvSchema.extend({
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: envPort.default(7070),
});

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
