import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { FileEntry, MetisClient } from '@metisai/sdk';
import { Files } from '@metisai/sdk/files';
import { errorText, type Catalog } from '../../shared/i18n/messages.ts';
import type { ConsoleCatalog } from '../i18n/console-messages.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** An upload in progress: its name and how far it got. */
interface Upload {
  name: string;
  sentBytes: number;
  totalBytes: number;
}

const joinPath = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const parentOf = (dir: string) => dir.split('/').slice(0, -1).join('/');

/**
 * `<metis-files-pane>`: the conversation's workspace (`@metisai/sdk/files`): browse folders, upload with progress,
 * download a file or everything (a tar.gz) through signed URLs, delete, rename and make folders. It reloads when
 * `revision` changes (the work view bumps it when a run ends).
 */
export class FilesPane extends LitElement {
  static override styles = [
    ...consoleStyles,
    css`
      :host {
        display: block;
        min-height: 0;
        overflow: auto;
      }
      .root {
        padding: 8px;
      }
      .bar {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
        margin-bottom: 8px;
      }
      .crumbs {
        flex: 1;
        min-width: 0;
        font-family: var(--_mono);
        font-size: 13px;
        overflow-wrap: anywhere;
      }
      .list li {
        font-size: 14px;
      }
      .entry {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        font-family: var(--_mono);
        font-size: 13px;
        text-align: start;
      }
      button.entry {
        border: 0;
        background: transparent;
        color: var(--_accent);
        padding: 0;
      }
      progress {
        width: 100%;
      }
      input[type='file'] {
        display: none;
      }
      form.inline {
        display: flex;
        gap: 6px;
        align-items: center;
        margin-bottom: 8px;
      }
    `,
  ];

  static override properties = {
    client: { attribute: false },
    conversationId: { attribute: false },
    revision: { attribute: false },
    text: { attribute: false },
    catalog: { attribute: false },
    uploadLimitBytes: { attribute: false },
    theme: { reflect: true },
    dir: { state: true },
    entries: { state: true },
    uploads: { state: true },
    failure: { state: true },
    editing: { state: true },
  };
  declare client: MetisClient;
  declare conversationId: string;
  declare revision: number;
  declare text: ConsoleCatalog;
  declare catalog: Catalog;
  declare uploadLimitBytes: number | undefined;
  declare theme: string;
  declare dir: string;
  declare entries: FileEntry[] | undefined;
  declare uploads: Upload[];
  declare failure: string | undefined;
  /** The inline form shown: a new folder, or renaming an entry (its path). */
  declare editing: { kind: 'mkdir' } | { kind: 'rename'; path: string; name: string } | undefined;
  #files: Files | undefined;

  constructor() {
    super();
    this.revision = 0;
    this.theme = 'light';
    this.dir = '';
    this.uploads = [];
  }

  get #api(): Files {
    this.#files ??= new Files(this.client);
    return this.#files;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('client')) this.#files = undefined;
    if (changed.has('conversationId') || changed.has('revision') || changed.has('dir')) void this.#load();
  }

  async #load(): Promise<void> {
    try {
      const page = await this.#api.list(this.conversationId, { path: this.dir || undefined, limit: 1000 });
      this.entries = [...page.data].sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'directory' ? -1 : 1));
      this.failure = undefined;
    } catch (error) {
      this.entries = [];
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    this.failure = typeof code === 'string' ? errorText(this.catalog, code) : error instanceof Error ? error.message : String(error);
  }

  override render(): TemplateResult {
    const text = this.text;
    const editing = this.editing;
    return html`<div class="root">
      <div class="bar">
        <span class="crumbs" data-dir=${this.dir}>/${this.dir}</span>
        ${this.dir ? html`<button type="button" class="button small" @click=${() => (this.dir = parentOf(this.dir))}>${text.up}</button>` : nothing}
        <button type="button" class="button small" data-action="upload" @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input[type="file"]')?.click()}>
          ${text.upload}
        </button>
        <input type="file" multiple aria-label=${text.upload} @change=${this.#handleFiles} />
        <button type="button" class="button small" data-action="new-folder" @click=${() => (this.editing = { kind: 'mkdir' })}>${text.newFolder}</button>
        <button type="button" class="button small" data-action="download-all" @click=${this.#handleDownloadAll}>${text.downloadAll}</button>
      </div>
      ${this.failure ? html`<p class="alert" role="alert">${this.failure}</p>` : nothing}
      ${
        editing
          ? html`<form class="inline" @submit=${this.#handleEdit}>
            <label class="sr-only" for="edit-name">${editing.kind === 'mkdir' ? text.newFolder : text.rename}</label>
            <input id="edit-name" name="name" .value=${editing.kind === 'rename' ? editing.name : ''} />
            <button type="submit" class="button small primary">${text.save}</button>
            <button type="button" class="button small" @click=${() => (this.editing = undefined)}>${text.cancel}</button>
          </form>`
          : nothing
      }
      ${this.uploads.map(
        (upload) =>
          html`<div class="upload" data-upload=${upload.name}>
            <span class="hint">${text.uploading(upload.name)}</span>
            <progress max=${upload.totalBytes || 1} value=${upload.sentBytes} aria-label=${text.uploading(upload.name)}></progress>
          </div>`,
      )}
      ${
        this.entries === undefined
          ? html`<p class="empty">${text.loading}</p>`
          : this.entries.length === 0
            ? html`<p class="empty" data-empty>${text.noFiles}</p>`
            : html`<ul class="list">
              ${this.entries.map(
                (entry) =>
                  html`<li data-file=${entry.path} data-type=${entry.type}>
                    ${
                      entry.type === 'directory'
                        ? html`<button type="button" class="entry" @click=${() => (this.dir = entry.path)}>${entry.name}/</button>`
                        : html`<span class="entry">${entry.name}</span><span class="hint">${entry.size} B</span>`
                    }
                    ${
                      entry.type === 'file'
                        ? html`<button type="button" class="button small" data-action="download" @click=${() => this.#download(entry)}>
                          ${text.download}<span class="sr-only"> ${entry.name}</span>
                        </button>`
                        : nothing
                    }
                    <button type="button" class="button small" data-action="rename" @click=${() => (this.editing = { kind: 'rename', path: entry.path, name: entry.name })}>
                      ${text.rename}<span class="sr-only"> ${entry.name}</span>
                    </button>
                    <button type="button" class="button small danger" data-action="delete" @click=${() => this.#remove(entry)}>
                      ${text.delete}<span class="sr-only"> ${entry.name}</span>
                    </button>
                  </li>`,
              )}
            </ul>`
      }
    </div>`;
  }

  /** Downloads through a signed URL: the browser fetches it itself (no token in the URL's page, no blob in memory). */
  #open(url: string): void {
    const link = document.createElement('a');
    link.href = url;
    link.download = '';
    link.rel = 'noopener';
    this.renderRoot.appendChild(link);
    link.click();
    link.remove();
  }

  async #download(entry: FileEntry): Promise<void> {
    try {
      this.#open((await this.#api.downloadUrl(this.conversationId, { path: entry.path })).url);
    } catch (error) {
      this.#fail(error);
    }
  }

  #handleDownloadAll = async () => {
    try {
      this.#open((await this.#api.downloadUrl(this.conversationId, { path: this.dir || undefined, archive: true })).url);
    } catch (error) {
      this.#fail(error);
    }
  };

  async #remove(entry: FileEntry): Promise<void> {
    if (!confirm(this.text.deleteConfirm(entry.path))) return;
    try {
      await this.#api.remove(this.conversationId, entry.path);
      await this.#load();
    } catch (error) {
      this.#fail(error);
    }
  }

  #handleEdit = async (event: SubmitEvent) => {
    event.preventDefault();
    const name = String(new FormData(event.target as HTMLFormElement).get('name') ?? '').trim();
    const editing = this.editing;
    if (!name || !editing) return;
    try {
      if (editing.kind === 'mkdir') await this.#api.mkdir(this.conversationId, joinPath(this.dir, name));
      else await this.#api.move(this.conversationId, { from: editing.path, to: joinPath(parentOf(editing.path), name) });
      this.editing = undefined;
      await this.#load();
    } catch (error) {
      this.#fail(error);
    }
  };

  #handleFiles = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    for (const file of files) {
      if (this.uploadLimitBytes !== undefined && file.size > this.uploadLimitBytes) {
        this.failure = this.text.tooLarge(file.name);
        continue;
      }
      const upload: Upload = { name: file.name, sentBytes: 0, totalBytes: file.size };
      this.uploads = [...this.uploads, upload];
      try {
        await this.#api.upload(this.conversationId, joinPath(this.dir, file.name), file, {
          onProgress: (progress) => {
            this.uploads = this.uploads.map((entry) => (entry === upload ? { ...entry, sentBytes: progress.transferredBytes } : entry));
          },
        });
      } catch (error) {
        this.#fail(error);
      } finally {
        this.uploads = this.uploads.filter((entry) => entry.name !== upload.name);
      }
    }
    await this.#load();
  };
}

if (!customElements.get('metis-files-pane')) customElements.define('metis-files-pane', FilesPane);
