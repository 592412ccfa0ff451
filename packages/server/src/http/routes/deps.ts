import type { SandboxDriverName } from '@metisai/sandbox';
import type { Config } from '../../config.ts';
import type { CatchUpRequests } from '../../control/catch-up.ts';
import type { Orm } from '../../db/orm.ts';
import type { EventBus } from '../../events/index.ts';
import type { Keys } from '../../security/keys.ts';
import type { Services } from '../../services/index.ts';
import type { OpenStreams } from '../open-streams.ts';

export interface RouteDeps {
  config: Config;
  orm: Orm;
  keys: Keys;
  services: Services;
  events: EventBus;
  /** This process's open event streams (revocations end them). */
  streams: OpenStreams;
  /** Asks the process running a conversation for its text in flight (`catch_up`). */
  catchUp: CatchUpRequests;
  version: string;
  /** Where agents' commands run; `null` in an app without a runner. */
  sandboxDriver: SandboxDriverName | null;
}
