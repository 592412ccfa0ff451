import { css } from 'lit';
import { baseStyles } from '../../shared/styles/base.styles.ts';
import { tokenStyles } from '../../shared/styles/tokens.styles.ts';

/**
 * The console pages' own styles, on top of the shared tokens and base (the same colours, type and focus rings as
 * `<metis-chat>`): page layout, cards, forms with their field errors, tables, tabs, dialogs. One column below 640 px.
 */
const pageStyles = css`
  :host {
    display: block;
  }
  [hidden] {
    display: none !important;
  }
  .root {
    min-height: 100%;
    background: transparent;
  }
  .page {
    max-width: 1100px;
    margin: 0 auto;
    padding: 24px 20px 48px;
  }
  .page.wide {
    max-width: none;
  }
  h1 {
    margin: 0 0 16px;
    font-size: 24px;
    line-height: 1.25;
  }
  /* The heading gets focus on each navigation (for screen readers); it is not a control, so no ring. */
  h1:focus,
  h1:focus-visible {
    outline: none;
  }
  h2 {
    margin: 0 0 10px;
    font-size: 17px;
  }
  h3 {
    margin: 0 0 8px;
    font-size: 15px;
  }
  /* Bold as the shell's language draws it (800 in Chinese, whose fonts here have no bold face: see metis-console). */
  h1,
  h2,
  h3,
  th,
  strong,
  b {
    font-weight: var(--_bold, 700);
  }
  p {
    margin: 0 0 10px;
  }
  a {
    color: var(--_accent);
  }
  .head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 12px;
    margin-bottom: 16px;
  }
  .head h1 {
    /* At least 12em before the actions beside it wrap to the next line (a phone must not squeeze it to one letter a line). */
    flex: 1 1 12em;
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .grid {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(320px, 1fr));
    gap: 16px;
  }
  .card {
    min-width: 0;
    padding: 16px;
    border: 1px solid var(--_border);
    border-radius: 10px;
    background: var(--_bg);
  }
  .card + .card {
    margin-top: 16px;
  }
  .grid .card + .card {
    margin-top: 0;
  }
  .list {
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .list li {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 6px 0;
    border-bottom: 1px solid var(--_border);
    min-width: 0;
  }
  .list li:last-child {
    border-bottom: 0;
  }
  .list code {
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .list .grow {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .empty {
    color: var(--_muted);
    font-style: italic;
  }
  .button,
  button.button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-height: 36px;
    padding: 6px 14px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
    color: var(--_fg);
    font-size: 14px;
    font-weight: var(--_semibold, 600);
    text-decoration: none;
    white-space: nowrap;
  }
  .button.primary {
    border-color: var(--_accent);
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  .button.danger {
    border-color: var(--_danger);
    color: var(--_danger);
  }
  .button.small {
    min-height: 28px;
    padding: 2px 10px;
    font-size: 13px;
  }
  .button:hover:not(:disabled) {
    filter: brightness(0.96);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
  }
  form.form {
    display: grid;
    gap: 14px;
    max-width: 640px;
  }
  .field {
    display: grid;
    align-content: start;
    gap: 4px;
  }
  .field > label,
  .label {
    font-size: 14px;
    font-weight: var(--_semibold, 600);
  }
  .hint {
    color: var(--_muted);
    font-size: 13px;
  }
  .field-error {
    color: var(--_danger);
    font-size: 13px;
    font-weight: var(--_semibold, 600);
  }
  input,
  select,
  textarea.input {
    width: 100%;
    min-height: 38px;
    margin: 0;
    padding: 7px 10px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
    color: var(--_fg);
    font: inherit;
    font-size: 15px;
  }
  input[type='checkbox'],
  input[type='radio'] {
    width: auto;
    min-height: 0;
  }
  textarea.input {
    min-height: 96px;
    resize: vertical;
    font-family: var(--_mono);
    font-size: 13px;
  }
  [aria-invalid='true'] {
    border-color: var(--_danger);
  }
  fieldset {
    margin: 0;
    padding: 10px 12px;
    border: 1px solid var(--_border);
    border-radius: 8px;
  }
  legend {
    padding: 0 4px;
    font-size: 14px;
    font-weight: var(--_semibold, 600);
  }
  .check {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 2px 0;
    font-size: 14px;
  }
  .row {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
    gap: 14px;
  }
  .alert {
    padding: 10px 12px;
    border: 1px solid var(--_danger);
    border-radius: 8px;
    color: var(--_danger);
    font-size: 14px;
  }
  .ok {
    padding: 10px 12px;
    border: 1px solid var(--_add, #1a7f37);
    border-radius: 8px;
    color: var(--_add, #1a7f37);
    font-size: 14px;
  }
  .badge {
    display: inline-block;
    padding: 0 7px;
    /* A neutral badge (finished, idle, stopped) sits on the same surface as its card: the border shows its shape. */
    border: 1px solid var(--_border);
    border-radius: 10px;
    background: var(--_surface);
    color: var(--_fg);
    font-size: 12px;
    font-weight: var(--_semibold, 600);
    white-space: nowrap;
  }
  /* Badge colours chosen for 4.5:1 contrast at 12px in both themes. */
  .badge[data-status='running'],
  .badge[data-state='running'] {
    background: #dafbe1;
    color: #0f5323;
  }
  .badge[data-status='error'],
  .badge[data-state='error'] {
    background: #ffebe9;
    color: #8c1c13;
  }
  :host([theme='dark']) .badge[data-status='running'],
  :host([theme='dark']) .badge[data-state='running'] {
    background: #12301d;
    color: #7ee2a0;
  }
  :host([theme='dark']) .badge[data-status='error'],
  :host([theme='dark']) .badge[data-state='error'] {
    background: #3a1715;
    color: #ffb4ab;
  }
  .badge[data-state='awaiting_confirmation'],
  .badge[data-status='starting'] {
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  /* Positioned, so that screen-reader-only text in a cell stays inside the scrolling box, not off the page's edge. */
  .table-wrap {
    position: relative;
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 14px;
  }
  th,
  td {
    padding: 8px;
    border-bottom: 1px solid var(--_border);
    text-align: start;
    vertical-align: middle;
  }
  th {
    color: var(--_muted);
    font-size: 13px;
    font-weight: var(--_semibold, 600);
  }
  .tabs {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    margin: 0 0 16px;
    padding: 0;
    border-bottom: 1px solid var(--_border);
    list-style: none;
  }
  .tabs a {
    display: block;
    padding: 8px 12px;
    border-bottom: 2px solid transparent;
    color: var(--_muted);
    font-weight: var(--_semibold, 600);
    text-decoration: none;
  }
  .tabs a[aria-current='page'] {
    border-bottom-color: var(--_accent);
    color: var(--_fg);
  }
  dialog {
    max-width: min(520px, calc(100vw - 32px));
    padding: 20px;
    border: 1px solid var(--_border);
    border-radius: 12px;
    background: var(--_bg);
    color: var(--_fg);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  code,
  .mono {
    font-family: var(--_mono);
    font-size: 0.92em;
  }
  .secret-once {
    display: flex;
    gap: 8px;
    align-items: center;
    padding: 8px;
    border-radius: 8px;
    background: var(--_code-bg);
    overflow-wrap: anywhere;
  }
  @media (max-width: 639.98px) {
    .page {
      padding: 16px 12px 40px;
    }
    .grid {
      grid-template-columns: 1fr;
    }
    .row {
      grid-template-columns: 1fr;
    }
    /* A table of class "stack" shows each row as a block on a phone: one line per cell, its column's name before it. */
    table.stack,
    table.stack tbody,
    table.stack tr,
    table.stack td {
      display: block;
    }
    table.stack thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
    table.stack tr {
      padding: 8px 0;
      border-bottom: 1px solid var(--_border);
    }
    table.stack td {
      padding: 3px 0;
      border: 0;
      overflow-wrap: anywhere;
    }
    table.stack td[data-label] {
      display: grid;
      grid-template-columns: minmax(6em, 35%) minmax(0, 1fr);
      gap: 8px;
      align-items: center;
      justify-items: start;
    }
    table.stack td[data-label]::before {
      content: attr(data-label);
      color: var(--_muted);
      font-size: 13px;
      font-weight: var(--_semibold, 600);
    }
    table.stack td:first-child {
      font-weight: var(--_semibold, 600);
    }
  }
`;

/** Every console page's styles: the shared tokens and base, then the console's own. */
export const consoleStyles = [tokenStyles, baseStyles, pageStyles];
