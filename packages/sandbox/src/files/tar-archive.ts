import { Readable } from 'node:stream';
import { extract, pack, type Header } from 'tar-stream';
import { SandboxError } from '../errors.ts';

/** Who owns what we put into a sandbox, and with which permission bits. */
export interface TarOwner {
  uid: number;
  gid: number;
}

export interface TarEntryInput {
  /** Path inside the archive, relative, with `/` separators. */
  name: string;
  type: 'file' | 'directory';
  mode: number;
  data?: Uint8Array;
  /** Overrides the archive's owner for this entry. */
  owner?: TarOwner;
}

/**
 * A PAX `mtime` record (seconds with milliseconds) for a tar header: ustar headers keep whole seconds, so a file written
 * through the Engine API in the same second as another state of it would keep its old mtime and size, and look
 * unchanged to whatever compares those (the workspace's changes against its baseline). Docker applies PAX times.
 */
export const preciseMtime = (mtime: Date): Record<string, string> => ({ mtime: (mtime.getTime() / 1000).toFixed(3) });

/** A small in-memory archive (a file write, a few directories); entries carry the time of the call to the millisecond. */
export async function buildTar(entries: readonly TarEntryInput[], owner: TarOwner): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => {
    chunks.push(chunk as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  const mtime = new Date();
  for (const entry of entries) {
    const { uid, gid } = entry.owner ?? owner;
    const header = { name: entry.name, type: entry.type, mode: entry.mode, uid, gid, mtime, pax: preciseMtime(mtime) };
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (entry.type === 'file') archive.entry(header, entry.data ?? new Uint8Array(), done);
      else archive.entry(header, done);
    });
  }
  archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export interface TarEntryOutput {
  header: Header;
  data: Buffer;
}

/** An archive entry is larger than the reader accepts (`maxBytes`); nothing of it was kept. */
export class TarEntryTooLargeError extends SandboxError {
  override name = 'TarEntryTooLargeError';
  readonly sizeBytes: number;
  readonly maxBytes: number;
  constructor(name: string, sizeBytes: number, maxBytes: number) {
    super(`${name} is ${sizeBytes} bytes, more than the ${maxBytes} bytes read from it at most`);
    this.sizeBytes = sizeBytes;
    this.maxBytes = maxBytes;
  }
}

/**
 * Reads the first entry of an archive (what the Docker archive API returns for a single file)
 * and stops reading there. With `maxBytes`, an entry whose header says it is larger throws
 * `TarEntryTooLargeError` before any of it is read.
 */
export async function readFirstTarEntry(source: NodeJS.ReadableStream, options: { maxBytes?: number } = {}): Promise<TarEntryOutput | null> {
  const input = source instanceof Readable ? source : Readable.from(source as AsyncIterable<Buffer>);
  const parser = extract();
  input.pipe(parser);
  try {
    for await (const entry of parser) {
      const size = entry.header.size ?? 0;
      if (options.maxBytes !== undefined && size > options.maxBytes) throw new TarEntryTooLargeError(entry.header.name, size, options.maxBytes);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      return { header: entry.header, data: Buffer.concat(chunks) };
    }
    return null;
  } finally {
    parser.destroy();
    input.destroy();
  }
}
