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

`;
