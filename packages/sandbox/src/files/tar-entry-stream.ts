import { Readable } from 'node:stream';
import { extract } from 'tar-stream';

/**
 * The content of the first entry of a tar stream (what the Docker archive API sends for one file), as a stream that
 * reads the archive only as fast as its consumer reads: nothing is held whole. Destroying the result, or reaching the
 * end of the entry, closes the archive.
 */
export function firstTarEntryStream(source: NodeJS.ReadableStream): Readable {
  const input = source instanceof Readable ? source : Readable.from(source as AsyncIterable<Buffer>);
  const parser = extract();
  input.pipe(parser);
  input.on('error', (error) => parser.destroy(error));
  async function* content(): AsyncGenerator<Buffer> {
    try {
      for await (const entry of parser) {
        for await (const chunk of entry) yield chunk as Buffer;
        return;
      }
    } finally {
      parser.destroy();
      input.destroy();
    }
  }
  return Readable.from(content(), { objectMode: false });
}
