export * from './common.ts';
export * from './error.ts';
export * from './auth.ts';
export * from './agent.ts';
export * from './event.ts';
export * from './conversation.ts';
export * from './settings.ts';
export * from './health.ts';
