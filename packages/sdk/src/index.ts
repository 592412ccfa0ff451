/**
 * @metisai/sdk — wire schemas of the MetisAI API (zod) and, in a later release, the typed client.
 * The schemas are the one source of truth: the server validates with the same objects.
 */
export * from './schemas/index.ts';
