import { lookup } from 'mime-types';

/** The media type of a workspace file from its extension (`report.pdf` → `application/pdf`), else `application/octet-stream`. */
export function mediaTypeOf(path: string): string {
  return lookup(path) || 'application/octet-stream';
}
