/** The Steadfast services, in start order, with where each listens and how to know it is up. */
export interface ServiceSpec {
  name: string;
  /** The package whose `dist/main.js` runs the service. */
  packageName: string;
  /** Environment variables naming its address, and their defaults. */
  hostVar: string;
  portVar: string;
  defaultPort: number;
  /** The variable other services read its URL from. */
  urlVar: string;
  public: boolean;
  /**
   * Work nobody waits on: the service runs at a lower CPU priority (`BACKGROUND_NICE`), so on a
   * busy machine accepting a submission is not slowed by processing the ones already accepted.
   */
  background?: true;
}

/** The nice value of background services (docker-compose gives them half the CPU shares). */
export const BACKGROUND_NICE = 10;

/** `STEADFAST_BACKGROUND_NICE` (0 = same priority as the gateway … 19), default BACKGROUND_NICE. */
export function backgroundNice(env: NodeJS.ProcessEnv): number {
  const raw = env['STEADFAST_BACKGROUND_NICE'];
  if (raw === undefined || raw === '') return BACKGROUND_NICE;
  const nice = Number(raw);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
    throw new Error(`STEADFAST_BACKGROUND_NICE must be a whole number from 0 to 19, not "${raw}"`);
  }
  return nice;
}

export const SERVICES: readonly ServiceSpec[] = [
  { name: 'auth', packageName: '@steadfast/auth', hostVar: 'AUTH_HOST', portVar: 'AUTH_PORT', defaultPort: 7071, urlVar: 'AUTH_URL', public: false },
  { name: 'config', packageName: '@steadfast/config', hostVar: 'COUNTRY_CONFIG_HOST', portVar: 'COUNTRY_CONFIG_PORT', defaultPort: 7073, urlVar: 'COUNTRY_CONFIG_URL', public: false },
  { name: 'workflow', packageName: '@steadfast/workflow', hostVar: 'WORKFLOW_HOST', portVar: 'WORKFLOW_PORT', defaultPort: 7072, urlVar: 'WORKFLOW_URL', public: false, background: true },
  { name: 'events', packageName: '@steadfast/events', hostVar: 'EVENTS_HOST', portVar: 'EVENTS_PORT', defaultPort: 7075, urlVar: 'EVENTS_URL', public: false, background: true },
  { name: 'gateway', packageName: '@steadfast/gateway', hostVar: 'GATEWAY_HOST', portVar: 'GATEWAY_PORT', defaultPort: 7070, urlVar: 'GATEWAY_URL', public: true },
];

export function serviceUrl(spec: ServiceSpec, env: NodeJS.ProcessEnv): string {
  const host = env[spec.hostVar] ?? '127.0.0.1';
  const port = env[spec.portVar] ?? String(spec.defaultPort);
  return `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
}

/** Each service's URL variable, from its host and port, so moved ports move every caller too. */
export function serviceUrlEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(SERVICES.map((spec) => [spec.urlVar, env[spec.urlVar] ?? serviceUrl(spec, env)]));
}
