import type { Page } from '../schemas/common.ts';

/**
 * A list call. `await` it for the first page, or iterate it with `for await` to walk every item of every page
 * (following `next_after`). Nothing is requested until you do either.
 *
 * ```ts
 * for await (const agent of client.agents.list()) console.log(agent.name);
 * const page = await client.agents.list({ limit: 10 }); // { data, has_more, next_after }
 * ```
 */
export class PagePromise<Item> implements PromiseLike<Page<Item>>, AsyncIterable<Item> {
  readonly #fetchPage: (after: string | undefined) => Promise<Page<Item>>;
  readonly #after: string | undefined;
  #first: Promise<Page<Item>> | undefined;

  /** @internal */
  constructor(fetchPage: (after: string | undefined) => Promise<Page<Item>>, after?: string) {
    this.#fetchPage = fetchPage;
    this.#after = after;
  }

  /** The first page (requested once, then memoised). */
  firstPage(): Promise<Page<Item>> {
    this.#first ??= this.#fetchPage(this.#after);
    return this.#first;
  }

  then<R1 = Page<Item>, R2 = never>(
    onfulfilled?: ((page: Page<Item>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.firstPage().then(onfulfilled, onrejected);
  }

  /** Every page in turn, starting with the first. */
  async *pages(): AsyncGenerator<Page<Item>, void, undefined> {
    let page = await this.firstPage();
    yield page;
    while (page.has_more && page.next_after !== null) {
      page = await this.#fetchPage(page.next_after);
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }
}
