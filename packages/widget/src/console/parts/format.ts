import type { Language } from '../../shared/i18n/messages.ts';

const locale = (language: Language) => (language === 'zh' ? 'zh-CN' : 'en');

/** A date and time in the reader's language (`Nov 30, 2026, 10:04`). */
export const formatDateTime = (language: Language, iso: string | null | undefined): string =>
  iso ? new Intl.DateTimeFormat(locale(language), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '';

/** A whole number with the reader's grouping (`12,345`). */
export const formatNumber = (language: Language, value: number): string => new Intl.NumberFormat(locale(language)).format(value);

/** Copies text; answers whether it worked (the clipboard needs a secure context or localhost). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
