import { css } from 'lit';

/**
 * What every shadow root of `<metis-chat>` and the console starts from, inside its `.root`: inherited properties reset
 * (`all: initial`, so a host page's text styles stop at the element), box sizing, form controls, focus rings, and the
 * `sr-only` and `muted` helpers.
 */
export const baseStyles = css`
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

`;
