/** A console page: its element's module (loaded on first use: one chunk per page) and what it needs. */
export interface RouteMatch {
  page: PageName;
  params: Record<string, string>;
  /** Reachable signed out (sign in, register); every other page sends a signed-out visitor to sign in. */
  isPublic: boolean;
}

export type PageName =
  | 'login'
  | 'register'
  | 'dashboard'
  | 'agents'
  | 'agent'
  | 'agent-embed'
  | 'conversations'
  | 'conversation'
  | 'settings'
  | 'approvals'
  | 'not-found';

const ROUTES: ReadonlyArray<[RegExp, PageName, Record<string, string>?]> = [
  [/^\/login$/, 'login'],
  [/^\/register$/, 'register'],
  [/^\/$/, 'dashboard'],
  [/^\/agents$/, 'agents'],
  [/^\/agents\/(?<id>[^/]+)$/, 'agent', { tab: 'config' }],
  [/^\/agents\/(?<id>[^/]+)\/embed$/, 'agent-embed', { tab: 'embed' }],
  [/^\/conversations$/, 'conversations'],
  [/^\/conversations\/(?<id>[^/]+)$/, 'conversation'],
  [/^\/settings(?:\/(?<tab>[^/]+))?$/, 'settings'],
  [/^\/approvals$/, 'approvals'],
];

/** The page of a path (the server's history fallback serves the same list: `http/routes/console.ts`). */
export function matchRoute(pathname: string): RouteMatch {
  for (const [pattern, page, extra] of ROUTES) {
    const match = pattern.exec(pathname);
    if (match) {
      const params: Record<string, string> = { ...extra };
      for (const [name, value] of Object.entries(match.groups ?? {})) if (value !== undefined) params[name] = decodeURIComponent(value);
      return { page, params, isPublic: page === 'login' || page === 'register' };
    }
  }
  return { page: 'not-found', params: {}, isPublic: true };
}

/** The custom element of each page, and how to load its module. */
export const PAGES: Record<PageName, { tag: string; load: () => Promise<unknown> }> = {
  login: { tag: 'metis-login-page', load: () => import('../pages/login-page.ts') },
  register: { tag: 'metis-login-page', load: () => import('../pages/login-page.ts') },
  dashboard: { tag: 'metis-dashboard-page', load: () => import('../pages/dashboard-page.ts') },
  agents: { tag: 'metis-agents-page', load: () => import('../pages/agents-page.ts') },
  agent: { tag: 'metis-agent-page', load: () => import('../pages/agent-page.ts') },
  'agent-embed': { tag: 'metis-agent-embed-page', load: () => import('../pages/agent-embed-page.ts') },
  conversations: { tag: 'metis-conversations-page', load: () => import('../pages/conversations-page.ts') },
  conversation: { tag: 'metis-conversation-page', load: () => import('../pages/conversation-page.ts') },
  settings: { tag: 'metis-settings-page', load: () => import('../pages/settings-page.ts') },
  approvals: { tag: 'metis-approvals-page', load: () => import('../pages/approvals-page.ts') },
  'not-found': { tag: 'metis-not-found-page', load: () => import('../pages/not-found-page.ts') },
};
