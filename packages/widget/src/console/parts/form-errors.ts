import { html, nothing, type TemplateResult } from 'lit';
import { errorText, type Catalog } from '../../shared/i18n/messages.ts';

/**
 * An API error as a form shows it: a sentence per field at fault (next to that field: the body's `field`, or each
 * detail's `path`), and a general sentence for the rest. The code's sentence comes from the shared catalog; the
 * server's detail (English) follows it for fields.
 */
export class FormErrors {
  readonly fields: Readonly<Record<string, string>>;
  readonly general: string | undefined;
  readonly code: string | undefined;

  constructor(fields: Record<string, string> = {}, general?: string, code?: string) {
    this.fields = fields;
    this.general = general;
    this.code = code;
  }

  static none = new FormErrors();

  /** From anything thrown: `known` lists the form's field names (paths), others go to the general sentence. */
  static from(error: unknown, catalog: Catalog, known: readonly string[]): FormErrors {
    const failure = error as { code?: unknown; message?: unknown; field?: unknown; details?: { path: string; message: string }[] } | null;
    const code = typeof failure?.code === 'string' ? failure.code : 'unknown_error';
    const sentence = errorText(catalog, code);
    const fields: Record<string, string> = {};
    const details = Array.isArray(failure?.details) ? failure.details : [];
    for (const detail of details) if (known.includes(detail.path)) fields[detail.path] = `${sentence} ${detail.path}: ${detail.message}`;
    const field = typeof failure?.field === 'string' ? failure.field : undefined;
    if (field && known.includes(field) && !fields[field]) fields[field] = sentence;
    const general = Object.keys(fields).length > 0 ? undefined : code === 'unknown_error' && typeof failure?.message === 'string' ? failure.message : sentence;
    return new FormErrors(fields, general, code);
  }

  /** The error of one field, with an id for `aria-describedby`. */
  field(name: string): TemplateResult | typeof nothing {
    const text = this.fields[name];
    return text ? html`<span class="field-error" id=${`error-${name}`} data-field-error=${name}>${text}</span>` : nothing;
  }

  /** `aria-invalid` of a field's input. */
  invalid(name: string): 'true' | 'false' {
    return this.fields[name] ? 'true' : 'false';
  }

  /** `aria-describedby` of a field's input (its hint and error). */
  describedBy(name: string, hint?: string): string {
    return [hint, this.fields[name] ? `error-${name}` : undefined].filter(Boolean).join(' ');
  }

  /** The general sentence, as an alert. */
  alert(): TemplateResult | typeof nothing {
    return this.general ? html`<p class="alert" role="alert" data-code=${this.code ?? ''}>${this.general}</p>` : nothing;
  }
}
