/** The units of `formatBytes`: symbols read alike in English and Chinese. */
const UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/**
 * A size for people: `bytes` in B, KB, MB or GB (powers of 1024, as the server's limits are set), at most one
 * decimal, the number in `locale`'s format ("1.5 KB", "10 MB").
 */
export function formatBytes(bytes: number, locale: string): string {
  let value = bytes;
  let index = 0;
  while (value >= 1024 && index < UNITS.length - 1) {
    value /= 1024;
    index += 1;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: index === 0 ? 0 : 1 }).format(value)} ${UNITS[index]}`;
}
