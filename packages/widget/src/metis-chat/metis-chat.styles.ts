import { css } from 'lit';

import { baseStyles } from '../shared/styles/base.styles.ts';
import { tokenStyles } from '../shared/styles/tokens.styles.ts';
import { composerStyles } from '../shared/composer/composer.styles.ts';
import { messageListStyles } from '../shared/message-list/message-list.styles.ts';

/**
 * `<metis-chat>`'s styles, adopted into its shadow root (no `<style>` element, no `style=` attribute: they work
 * under a `style-src` without `'unsafe-inline'`): the shared tokens, base, message list and composer styles, then the
 * launcher, panel and conversation list of its own. Colours and sizes come from `--metis-*` custom properties. Units
 * are `px`, never `rem` (the host's root font size is the host's).
 */
const ownStyles = css`
  /* The launcher and its panel are fixed to the viewport themselves: the host element takes no room. */
  :host([mode='launcher']) {
    width: 0;
    height: 0;
  }
  :host([hidden]) {
    display: none;
  }
  :host([mode='inline']) {
    height: var(--metis-inline-height, 560px);
    max-width: 100%;
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

export const styles = [tokenStyles, baseStyles, messageListStyles, composerStyles, ownStyles];
