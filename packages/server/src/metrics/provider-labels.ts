/** The label of providers past the first `max` distinct hosts (and of base URLs that are not URLs). */
export const OTHER_PROVIDER = 'other';

/**
 * Bounded `provider` label values for LLM metrics: the host (and port, when not the default) of a provider's base URL,
 * lower-cased. The first `max` distinct hosts this process sees keep their own value; every later one is counted as
 * `other`, so users choosing their own `llm_base_url` cannot grow the number of series without limit.
 */
export class ProviderLabels {
  readonly #max: number;
  readonly #known = new Set<string>();

  /** `max`: distinct hosts with a label of their own (default 10). */
  constructor(max = 10) {
    this.#max = max;
  }

  /** The label of `baseUrl` (`https://api.openai.com/v1` → `api.openai.com`). */
  label(baseUrl: string): string {
    let host: string;
    try {
      host = new URL(baseUrl).host.toLowerCase();
    } catch {
      return OTHER_PROVIDER;
    }
    if (!host) return OTHER_PROVIDER;
    if (this.#known.has(host)) return host;
    if (this.#known.size >= this.#max) return OTHER_PROVIDER;
    this.#known.add(host);
    return host;
  }
}
