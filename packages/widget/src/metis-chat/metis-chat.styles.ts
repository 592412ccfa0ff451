import { css } from 'lit';

/**
 * `<metis-chat>`'s styles, adopted into its shadow root (no `<style>` element, no `style=` attribute: they work
 * under a `style-src` without `'unsafe-inline'`). Colours and sizes come from `--metis-*` custom properties; the
 * inner root resets every inherited property, so the host page's text styles do not reach in. Units are `px`, never
 * `rem` (the host's root font size is the host's).
 */
export const styles = css`
  :host {
    display: block;
    --_accent: var(--metis-accent, #2357d8);
    --_accent-fg: var(--metis-accent-fg, #ffffff);
    --_bg: var(--metis-bg, #ffffff);
    --_fg: var(--metis-fg, #1b1f27);
    --_muted: var(--metis-muted, #5b6472);
    --_border: var(--metis-border, #d9dde5);
    --_surface: var(--metis-surface, #f3f5f9);
    --_code-bg: var(--metis-code-bg, #f0f2f6);
    --_danger: var(--metis-danger, #b42318);
    --_add: #1a7f37;
    --_add-bg: #e6f4ea;
    --_del: #b42318;
    --_del-bg: #fdecea;
    --_radius: var(--metis-radius, 12px);
    --_font: var(--metis-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Zen Hei', sans-serif);
    --_mono: ui-monospace, 'SF Mono', Menlo, Consolas, 'Liberation Mono', 'WenQuanYi Zen Hei Mono', monospace;
    --_size: var(--metis-font-size, 15px);
  }
  :host([hidden]) {
    display: none;
  }
  /* The launcher and its panel are fixed to the viewport themselves: the host element takes no room. */
  :host([mode='launcher']) {
    width: 0;
    height: 0;
  }
  :host([mode='inline']) {
    height: var(--metis-inline-height, 560px);
    max-width: 100%;
  }
  :host([theme='dark']) {
    --_accent: var(--metis-accent, #7aa2ff);
    --_accent-fg: var(--metis-accent-fg, #0d1320);
    --_bg: var(--metis-bg, #14171d);
    --_fg: var(--metis-fg, #e7eaf0);
    --_muted: var(--metis-muted, #a3abb9);
    --_border: var(--metis-border, #323844);
    --_surface: var(--metis-surface, #1f242d);
    --_code-bg: var(--metis-code-bg, #0e1116);
    --_danger: var(--metis-danger, #ff8a80);
    --_add: #7ee2a0;
    --_add-bg: #12301d;
    --_del: #ff9c94;
    --_del-bg: #3a1715;
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      --_accent: var(--metis-accent, #7aa2ff);
      --_accent-fg: var(--metis-accent-fg, #0d1320);
      --_bg: var(--metis-bg, #14171d);
      --_fg: var(--metis-fg, #e7eaf0);
      --_muted: var(--metis-muted, #a3abb9);
      --_border: var(--metis-border, #323844);
      --_surface: var(--metis-surface, #1f242d);
      --_code-bg: var(--metis-code-bg, #0e1116);
      --_danger: var(--metis-danger, #ff8a80);
      --_add: #7ee2a0;
      --_add-bg: #12301d;
      --_del: #ff9c94;
      --_del-bg: #3a1715;
    }
  }

  .root {
    /* Every inherited property, reset: the host's text styles stop here. */
    all: initial;
    display: block;
    height: 100%;
    box-sizing: border-box;
    font-family: var(--_font);
    font-size: var(--_size);
    line-height: 1.5;
    color: var(--_fg);
    text-align: start;
    -webkit-text-size-adjust: 100%;
    text-size-adjust: 100%;
  }
  .root *,
  .root *::before,
  .root *::after {
    box-sizing: border-box;
  }
  button,
  textarea {
    font: inherit;
    color: inherit;
    letter-spacing: inherit;
  }
  button {
    cursor: pointer;
  }
  button:disabled {
    cursor: default;
    opacity: 0.55;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .muted {
    color: var(--_muted);
  }

  /* --- launcher */
  .launcher {
    position: fixed;
    right: 20px;
    bottom: 20px;
    z-index: var(--metis-z-index, 2147483000);
    display: grid;
    place-items: center;
    width: 56px;
    height: 56px;
    margin: 0;
    padding: 0;
    border: 0;
    border-radius: 50%;
    background: var(--_accent);
    color: var(--_accent-fg);
    box-shadow: 0 6px 20px rgb(0 0 0 / 0.25);
  }
  .launcher svg {
    width: 26px;
    height: 26px;
  }
  .badge {
    position: absolute;
    top: -4px;
    right: -4px;
    min-width: 22px;
    height: 22px;
    padding: 0 6px;
    border-radius: 11px;
    background: var(--_danger);
    color: #ffffff;
    font-size: 12px;
    font-weight: 700;
    line-height: 22px;
  }

  /* --- panel */
  .panel {
    display: flex;
    flex-direction: column;
    min-width: 0;
    height: 100%;
    overflow: hidden;
    background: var(--_bg);
    color: var(--_fg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .launcher-mode .panel {
    position: fixed;
    z-index: var(--metis-z-index, 2147483000);
    right: 20px;
    bottom: 88px;
    width: min(var(--metis-panel-width, 400px), calc(100vw - 40px));
    height: min(var(--metis-panel-height, 640px), calc(100vh - 108px));
    box-shadow: 0 12px 40px rgb(0 0 0 / 0.22);
  }
  .launcher-mode .panel.fullscreen {
    top: 0;
    left: 0;
    right: 0;
    bottom: auto;
    width: 100%;
    height: 100%;
    border: 0;
    border-radius: 0;
  }
  .header {
    display: flex;
    align-items: center;
    gap: 4px;
    padding: 8px 8px 8px 16px;
    border-bottom: 1px solid var(--_border);
  }
  .title {
    flex: 1;
    min-width: 0;
    margin: 0;
    overflow: hidden;
    font-size: 16px;
    font-weight: 600;
    line-height: 1.3;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .icon-button {
    display: grid;
    place-items: center;
    width: 40px;
    height: 40px;
    margin: 0;
    padding: 0;
    border: 0;
    border-radius: 8px;
    background: transparent;
    color: var(--_muted);
  }
  .icon-button:hover {
    background: var(--_surface);
    color: var(--_fg);
  }

  /* --- transcript */
  .log-wrap {
    position: relative;
    display: flex;
    flex: 1;
    min-height: 0;
  }
  .log {
    flex: 1;
    min-width: 0;
    overflow-x: hidden;
    overflow-y: auto;
    overscroll-behavior: contain;
    padding: 16px;
    display: flex;
    flex-direction: column;
    gap: 12px;
  }
  .log:focus-visible {
    outline-offset: -2px;
  }
  .message {
    max-width: 100%;
    overflow-wrap: anywhere;
  }
  .message.user {
    align-self: flex-end;
    max-width: 85%;
    padding: 8px 12px;
    border-radius: var(--_radius) var(--_radius) 4px var(--_radius);
    background: var(--_accent);
    color: var(--_accent-fg);
    white-space: pre-wrap;
  }
  .message.user.pending {
    opacity: 0.7;
  }
  .message.assistant {
    align-self: stretch;
    padding: 8px 12px;
    border-radius: var(--_radius) var(--_radius) var(--_radius) 4px;
    background: var(--_surface);
  }
  .message.assistant.streaming .markdown > :last-child::after {
    content: '▍';
    margin-left: 2px;
    color: var(--_muted);
  }
  .markdown > :first-child {
    margin-top: 0;
  }
  .markdown > :last-child {
    margin-bottom: 0;
  }
  .markdown p,
  .markdown ul,
  .markdown ol,
  .markdown blockquote,
  .markdown .code-block,
  .markdown .table-wrap {
    margin: 0 0 8px;
  }
  .markdown ul,
  .markdown ol {
    padding-left: 22px;
  }
  .markdown li.task {
    list-style: none;
  }
  .markdown .md-h1 {
    font-size: 1.25em;
  }
  .markdown .md-h2 {
    font-size: 1.15em;
  }
  .markdown blockquote {
    padding-left: 10px;
    border-left: 3px solid var(--_border);
    color: var(--_muted);
  }
  .markdown a {
    color: var(--_accent);
    text-decoration: underline;
  }
  .markdown code,
  .tool code,
  .approval code {
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  .markdown :not(pre) > code {
    padding: 1px 4px;
    border-radius: 4px;
    background: var(--_code-bg);
  }
  .markdown img {
    max-width: 100%;
    height: auto;
  }
  .markdown hr {
    border: 0;
    border-top: 1px solid var(--_border);
  }
  .image-blocked {
    color: var(--_muted);
    font-style: italic;
  }
  .md-raw {
    font-family: var(--_mono);
    font-size: 0.9em;
    white-space: pre-wrap;
  }
  .table-wrap {
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
  }
  th,
  td {
    padding: 4px 8px;
    border: 1px solid var(--_border);
  }
  .align-center {
    text-align: center;
  }
  .align-right {
    text-align: right;
  }
  .code-block {
    overflow: hidden;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_code-bg);
  }
  .code-head {
    display: flex;
    align-items: center;
    justify-content: space-between;
    padding: 2px 4px 2px 10px;
    border-bottom: 1px solid var(--_border);
    color: var(--_muted);
    font-size: 12px;
  }
  .copy,
  .text-button {
    margin: 0;
    padding: 4px 8px;
    border: 0;
    border-radius: 6px;
    background: transparent;
    color: var(--_accent);
    font-size: 13px;
    font-weight: 600;
  }
  pre {
    margin: 0;
    padding: 8px 10px;
    overflow: auto;
    font-family: var(--_mono);
    font-size: 13px;
    line-height: 1.45;
    white-space: pre;
    tab-size: 4;
  }
  .reasoning {
    margin-bottom: 6px;
    color: var(--_muted);
    font-size: 0.93em;
  }
  .reasoning summary,
  .tool summary,
  .unknown summary {
    cursor: pointer;
  }
  .reasoning-text {
    padding: 4px 0 4px 10px;
    border-left: 2px solid var(--_border);
    white-space: pre-wrap;
  }

  /* --- tool steps */
  .tool,
  .unknown {
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
    font-size: 14px;
  }
  .tool summary,
  .unknown summary {
    display: flex;
    align-items: baseline;
    gap: 8px;
    padding: 6px 10px;
    min-width: 0;
  }
  .tool-kind {
    flex: none;
    font-weight: 600;
  }
  .tool-title {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .tool-meta {
    flex: none;
    margin-left: auto;
    color: var(--_muted);
    font-size: 12px;
  }
  .tool.running .tool-meta {
    color: var(--_accent);
  }
  .tool.failed .tool-meta {
    color: var(--_danger);
  }
  .tool-body {
    border-top: 1px solid var(--_border);
  }
  .terminal {
    max-height: 280px;
    background: var(--_code-bg);
  }
  .diff {
    max-height: 360px;
    background: var(--_code-bg);
  }
  .diff span {
    display: block;
  }
  .diff .add {
    background: var(--_add-bg);
    color: var(--_add);
  }
  .diff .del {
    background: var(--_del-bg);
    color: var(--_del);
  }
  .diff .hunk,
  .diff .meta {
    color: var(--_muted);
  }
  .thought {
    margin: 0;
    padding: 8px 10px;
    white-space: pre-wrap;
  }
  .run-error {
    padding: 6px 10px;
    border-left: 3px solid var(--_danger);
    color: var(--_danger);
    font-size: 14px;
  }
  .run-error.transient {
    border-left-color: var(--_border);
    color: var(--_muted);
  }
  .load-earlier {
    align-self: center;
    padding: 4px 12px;
    border: 1px solid var(--_border);
    border-radius: 16px;
    background: var(--_bg);
    color: var(--_accent);
    font-size: 13px;
  }
  .greeting {
    display: flex;
    flex-direction: column;
    gap: 10px;
  }
  .suggestions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
  }
  .suggestion {
    padding: 6px 12px;
    border: 1px solid var(--_border);
    border-radius: 16px;
    background: var(--_bg);
    color: var(--_fg);
    font-size: 14px;
    text-align: start;
  }
  .suggestion:hover {
    border-color: var(--_accent);
  }
  .jump {
    position: absolute;
    left: 50%;
    bottom: 10px;
    transform: translateX(-50%);
    display: flex;
    align-items: center;
    gap: 4px;
    padding: 6px 12px;
    border: 1px solid var(--_border);
    border-radius: 18px;
    background: var(--_bg);
    color: var(--_fg);
    font-size: 13px;
    box-shadow: 0 2px 8px rgb(0 0 0 / 0.15);
  }
  .jump svg {
    width: 16px;
    height: 16px;
  }

  /* --- status, errors, approval */
  .status {
    min-height: 0;
    padding: 0 16px;
    color: var(--_muted);
    font-size: 13px;
  }
  .status:not(:empty) span {
    display: block;
    padding: 4px 0;
  }
  .working::before {
    content: '';
    display: inline-block;
    width: 8px;
    height: 8px;
    margin-right: 6px;
    border-radius: 50%;
    background: var(--_accent);
    animation: pulse 1.2s ease-in-out infinite;
  }
  @keyframes pulse {
    50% {
      opacity: 0.3;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .working::before {
      animation: none;
    }
  }
  .notice,
  .fatal {
    display: flex;
    align-items: center;
    gap: 8px;
    margin: 4px 12px;
    padding: 8px 12px;
    border: 1px solid var(--_danger);
    border-radius: 8px;
    color: var(--_danger);
    font-size: 14px;
  }
  .notice span {
    flex: 1;
  }
  .fatal {
    margin: 16px;
  }
  .approval {
    margin: 4px 12px;
    padding: 10px 12px;
    border: 1px solid var(--_accent);
    border-radius: 8px;
    font-size: 14px;
  }
  .approval p {
    margin: 0 0 6px;
    overflow-wrap: anywhere;
  }
  .approval-buttons {
    display: flex;
    gap: 8px;
  }
  .primary,
  .secondary {
    padding: 6px 14px;
    border-radius: 8px;
    font-weight: 600;
  }
  .primary {
    border: 1px solid var(--_accent);
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  .secondary {
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_fg);
  }

  /* --- composer */
  .composer {
    display: flex;
    align-items: flex-end;
    gap: 8px;
    margin: 0;
    padding: 10px 12px 12px;
    border-top: 1px solid var(--_border);
  }
  textarea {
    flex: 1;
    min-width: 0;
    min-height: 44px;
    max-height: 160px;
    margin: 0;
    padding: 10px 12px;
    resize: none;
    field-sizing: content;
    border: 1px solid var(--_border);
    border-radius: 10px;
    background: var(--_bg);
    color: var(--_fg);
    /* Never below 16px: iOS zooms into smaller inputs. */
    font-size: max(16px, var(--_size));
    line-height: 1.4;
  }
  textarea::placeholder {
    color: var(--_muted);
    opacity: 1;
  }
  .send,
  .stop {
    display: grid;
    flex: none;
    place-items: center;
    width: 44px;
    height: 44px;
    margin: 0;
    padding: 0;
    border: 0;
    border-radius: 10px;
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  .stop {
    background: var(--_fg);
    color: var(--_bg);
  }

  /* --- conversation list */
  .conversations {
    flex: 1;
    overflow-y: auto;
    padding: 8px;
  }
  .conversations ul {
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .conversations p {
    margin: 8px;
  }
  .conversation {
    display: flex;
    flex-direction: column;
    width: 100%;
    margin: 0;
    padding: 8px 10px;
    border: 0;
    border-radius: 8px;
    background: transparent;
    text-align: start;
  }
  .conversation:hover,
  .conversation[aria-current='true'] {
    background: var(--_surface);
  }
  .conversation-title {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .conversation .muted {
    font-size: 12px;
  }
`;
