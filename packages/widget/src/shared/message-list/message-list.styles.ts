import { css } from 'lit';

/**
 * The message list's styles (`renderMessageList`, `renderItem`, `renderToolStep`): messages, markdown, reasoning,
 * tool steps with their terminal output and diffs, run errors, "load earlier" and "jump to latest".
 */
export const messageListStyles = css`
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
  .message-attachments {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    margin: 6px 0 0;
    padding: 0;
    list-style: none;
    white-space: normal;
  }
  .message-attachments li {
    display: flex;
    gap: 6px;
    max-width: 100%;
    padding: 2px 8px;
    border-radius: 6px;
    background: color-mix(in srgb, var(--_accent-fg) 18%, transparent);
    font-size: 13px;
  }
  .message-attachments .file-name {
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .message-attachments .file-size {
    opacity: 0.85;
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
    font-weight: var(--_semibold, 600);
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
    font-weight: var(--_semibold, 600);
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
  .run-error-message {
    margin-top: 2px;
    color: var(--_muted);
    white-space: pre-wrap;
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

`;
