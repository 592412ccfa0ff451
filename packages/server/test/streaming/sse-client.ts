/** A small server-sent events reader over fetch, for tests: keeps every message and comment it has seen. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseOpenOptions {
  token?: string;
  lastEventId?: string;
  headers?: Record<string, string>;
}

export class SseClient {
  readonly response: Response;
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** Everything received, as text (an error body too). */
  text = '';
  /** Resolves when the server ends the stream (or we close it). */
  readonly ended: Promise<void>;
  readonly #abort: AbortController;
  #isEnded = false;

  private constructor(response: Response, abort: AbortController) {
    this.response = response;
    this.#abort = abort;
    this.ended = this.#read().finally(() => (this.#isEnded = true));
  }

  static async open(url: string, options: SseOpenOptions = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: {
        accept: 'text/event-stream',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.lastEventId !== undefined ? { 'last-event-id': options.lastEventId } : {}),
        ...options.headers,
      },
      signal: abort.signal,
    });
    return new SseClient(response, abort);
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  /** Stored events (those with an id), parsed. */
  get stored(): any[] {
    return this.messages.filter((message) => message.id !== undefined).map((message) => JSON.parse(message.data));
  }

  get deltas(): any[] {
    return this.messages.filter((message) => message.event === 'delta').map((message) => JSON.parse(message.data));
  }

  get lastId(): string | undefined {
    return this.messages.findLast((message) => message.id !== undefined)?.id;
  }

  /** Waits until `check` holds for this client (polling, no fixed sleeps). */
  async until(check: (client: SseClient) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (Date.now() > deadline)
        throw new Error(`SSE condition not met within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.id ?? m.event))}`);
      if (this.#isEnded) throw new Error('the stream ended before the condition held');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.#abort.abort();
  }

  async #read(): Promise<void> {
    if (!this.response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of this.response.body) {
        const decoded = decoder.decode(chunk as Uint8Array, { stream: true });
        this.text += decoded;
        buffer += decoded;
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          this.#parse(block);
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }

  #parse(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    let hasField = false;
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else continue;
      hasField = true;
    }
    if (hasField && data.length > 0) this.messages.push({ id, event, data: data.join('\n') });
  }
}
