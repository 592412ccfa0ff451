import { InitialSchema } from './001-initial-schema.ts';

/** Every migration, in order. Listed here (not discovered from files) so sources and bundles behave alike. */
export const migrations = [{ name: '001-initial-schema', class: InitialSchema }];
