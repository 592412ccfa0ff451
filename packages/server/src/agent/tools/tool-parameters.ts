import { z } from 'zod/mini';

/**
 * The JSON Schema of a tool's arguments as the model is shown it (the `parameters` of an OpenAI function
 * definition), derived from the strict zod schema. It describes what the model may send (`io: 'input'`: no
 * `additionalProperties: false`, optional fields not `required`), without `$schema`. `z.int()` means a safe
 * integer, and zod writes that as `minimum`/`maximum` of ±(2^53 − 1); those bounds are dropped, as OpenHands
 * shows a bare `integer`. Other bounds stay.
 */
export function toolParameters(schema: z.ZodMiniObject): Record<string, unknown> {
  const { $schema: _, ...parameters } = z.toJSONSchema(schema, {
    io: 'input',
    override: ({ jsonSchema }) => {
      if (jsonSchema.type !== 'integer') return;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    },
  });
  return parameters;
}
