import type { SandboxDriverName } from '@metisai/sandbox';
import type { Config } from '../../config.ts';
import type { Orm } from '../../db/orm.ts';
import type { EventBus } from '../../events/index.ts';
import type { Keys } from '../../security/keys.ts';
import type { Services } from '../../services/index.ts';

export interface RouteDeps {
  config: Config;
  orm: Orm;
  keys: Keys;
  services: Services;
  events: EventBus;
  version: string;
  /** Where agents' commands run; `null` in an app without a runner. */
  sandboxDriver: SandboxDriverName | null;
}
