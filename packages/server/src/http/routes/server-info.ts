import { type ServerInfo, ServerInfoSchema } from '@metisai/sdk/schemas';
import type { Config } from '../../config.ts';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';

/** The server has an LLM of its own: a model, and a key or an endpoint of its own (one that takes none). */
const hasServerLlm = ({ llm }: Config) => Boolean(llm.model && (llm.apiKey || (llm.baseUrl && new URL(llm.baseUrl).hostname !== 'api.openai.com')));

export const serverInfoEndpoints = ({ config, version, sandboxDriver }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/server-info',
    tag: 'server',
    summary: 'What this server offers (public): version, open registration, its own LLM, upload and import limits, sandbox driver and allowed images',
    isPublic: true,
    responses: { 200: { description: 'Server information', schema: ServerInfoSchema } },
    handler: (ctx) => {
      // Public facts, read without credentials: any page may read them (`<metis-chat>` on a visitor's page shows the
      // upload limit). Where CORS_ORIGINS already answered for this origin, that answer stands.
      if (!ctx.response.get('Access-Control-Allow-Origin')) ctx.set('Access-Control-Allow-Origin', '*');
      ctx.body = {
        version,
        registration_open: config.allowRegistration,
        llm_configured: hasServerLlm(config),
        upload_limit_bytes: config.uploadLimitBytes,
        import_limit_bytes: config.importLimitBytes,
        sandbox_driver: sandboxDriver,
        sandbox_allowed_images: config.sandboxAllowedImages,
        public_url: config.publicUrl ?? null,
      } satisfies ServerInfo;
    },
  }),
];
