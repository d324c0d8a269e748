import { envPort, readEnv } from '@steadfast/commons';
import { z } from 'zod';

export const environmentSchema = z.object({
  AUTH_HOST: z.string().min(1).default('127.0.0.1'),
  AUTH_PORT: envPort.default(7071),
});

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment =>
  readEnv(environmentSchema, env);
