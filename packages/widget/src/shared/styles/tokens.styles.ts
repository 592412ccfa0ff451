import { css } from 'lit';

/**
 * The colour and type tokens of `<metis-chat>` and the console, as private `--_*` properties on the host: each reads
 * its public `--metis-*` property, with light defaults, and dark ones under `theme="dark"` (or `theme="auto"` with a
 * dark `prefers-color-scheme`). A page (the console's stylesheet) can set the public ones for every element at once.
 */
export const tokenStyles = css`  :host {
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
    --_mono: ui-monospace, 'SF Mono', Menlo, Consolas, 'Cascadia Mono', 'DejaVu Sans Mono', 'Liberation Mono', 'Noto Sans Mono', 'WenQuanYi Zen Hei Mono', monospace;
    --_size: var(--metis-font-size, 15px);
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

`;
