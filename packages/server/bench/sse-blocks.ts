import type { IncomingMessage } from 'node:http';

/**
 * Splits an SSE response into its blocks (`id:`/`event:`/`data:` lines up to a blank line) and hands each over
 * with the time its chunk arrived. Deliberately bare (no parser, no allocation per line): the benches measure the
 * server, not the client.
 */
export function readSseBlocks(response: IncomingMessage, onBlock: (block: string, at: number) => void): void {
  response.setEncoding('utf8');
  let buffer = '';
  response.on('data', (chunk: string) => {
    const at = performance.now();
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      onBlock(block, at);
    }
  });
}
