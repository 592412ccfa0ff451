import { css } from 'lit';

/** The composer's styles (`renderComposer`, `renderApproval`, `renderRunStatus`): run status, notices, approval, input row. */
export const composerStyles = css`
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
    font-weight: var(--_semibold, 600);
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

  /* --- offline state */
  .offline {
    display: flex;
    flex-direction: column;
    gap: 2px;
    margin: 4px 12px;
    padding: 10px 12px;
    border: 1px solid var(--_border);
    border-left: 4px solid var(--_muted);
    border-radius: 8px;
    background: var(--_surface);
    color: var(--_fg);
    font-size: 14px;
  }
  .offline span {
    color: var(--_muted);
  }

  /* --- composer */
  .composer {
    position: relative;
    display: flex;
    flex-direction: column;
    gap: 6px;
    margin: 0;
    padding: 10px 12px 12px;
    border-top: 1px solid var(--_border);
  }
  .composer.dragging::after {
    content: attr(data-drop-label);
    position: absolute;
    inset: 4px;
    display: grid;
    place-items: center;
    border: 2px dashed var(--_accent);
    border-radius: 10px;
    background: var(--_bg);
    color: var(--_accent);
    font-weight: var(--_semibold, 600);
    pointer-events: none;
  }
  .composer-row {
    display: flex;
    align-items: flex-end;
    gap: 8px;
  }
  .attach {
    display: grid;
    flex: none;
    place-items: center;
    width: 36px;
    height: 44px;
    border-radius: 10px;
    color: var(--_muted);
    cursor: pointer;
  }
  .attach:hover {
    color: var(--_fg);
  }
  .attach:focus-within {
    outline: 2px solid var(--_accent);
    outline-offset: 1px;
  }
  .attach.disabled {
    opacity: 0.4;
    cursor: default;
  }
  .upload-limit {
    margin: 0;
    color: var(--_muted);
    font-size: 12px;
  }
  .attachments {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .attachment {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 8px;
    max-width: 100%;
    padding: 4px 4px 4px 10px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_surface);
    font-size: 13px;
  }
  .attachment.failed {
    border-color: var(--_danger);
  }
  .attachment-name {
    min-width: 0;
    max-width: 220px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .attachment-size {
    color: var(--_muted);
  }
  .attachment progress {
    width: 80px;
    height: 6px;
    accent-color: var(--_accent);
  }
  .attachment-error {
    flex-basis: 100%;
    order: 5;
    color: var(--_danger);
  }
  .attachment-remove {
    display: grid;
    place-items: center;
    width: 26px;
    height: 26px;
    margin: 0;
    padding: 0;
    border: 0;
    border-radius: 6px;
    background: transparent;
    color: var(--_muted);
  }
  .attachment-remove svg {
    width: 16px;
    height: 16px;
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
  textarea:disabled {
    background: var(--_surface);
    cursor: not-allowed;
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

`;
