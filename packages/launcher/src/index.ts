export { System, type RunningService, type StopResult, type SystemOptions } from './system.js';
export { SERVICES, serviceUrl, type ServiceSpec } from './services.js';
export { instanceEnv, instanceName, parseScale, scaleFrom, type Scale } from './scale.js';
