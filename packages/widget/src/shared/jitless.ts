// Evaluated before any zod schema is built (it is the entry's first import): zod's JIT probes `new Function`,
// which a page's strict CSP (`script-src` without 'unsafe-eval') reports as a violation even though zod catches it.
import { config } from 'zod/mini';

config({ jitless: true });
