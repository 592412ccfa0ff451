import type { Language } from '../../shared/i18n/messages.ts';
import { embedEn, embedZh, repositoryEn, repositoryZh, type EmbedCatalog, type RepositoryCatalog } from './embed-messages.ts';

/**
 * The console's words, in English and Chinese. The transcript's words and every error code's sentence come from the
 * shared catalog (`shared/i18n/messages.ts`, which a test checks covers the SDK's codes in both languages).
 */
export interface ConsoleCatalog {
  appName: string;
  nav: { dashboard: string; agents: string; conversations: string; approvals: string; settings: string; main: string };
  titles: {
    login: string;
    register: string;
    dashboard: string;
    agents: string;
    newAgent: string;
    conversations: string;
    approvals: string;
    settings: string;
    notFound: string;
  };
  signIn: string;
  signOut: string;
  /** The header's button that opens the navigation and preferences on a phone. */
  menu: string;
  register: string;
  email: string;
  password: string;
  name: string;
  noAccount: string;
  haveAccount: string;
  registrationClosed: string;
  passwordHint: string;
  sessionExpiring: (minutes: number) => string;
  sessionExpired: string;
  tabNote: string;
  serverUnreachable: string;
  language: string;
  theme: string;
  themes: { auto: string; light: string; dark: string };
  skipToContent: string;
  loading: string;
  save: string;
  saved: string;
  cancel: string;
  delete: string;
  deleteConfirm: (what: string) => string;
  create: string;
  edit: string;
  rename: string;
  close: string;
  copy: string;
  copied: string;
  retry: string;
  next: string;
  previous: string;
  none: string;
  inherit: string;
  on: string;
  off: string;
  yes: string;
  no: string;
  optional: string;
  notFoundText: string;
  backHome: string;
  // dashboard
  checklist: string;
  checklistSteps: { llm: string; agent: string; start: string; conversation: string };
  done: string;
  agentsCard: string;
  runningCard: string;
  approvalsCard: string;
  recentCard: string;
  usageCard: string;
  usageSummary: (tokens: string, days: number) => string;
  healthCard: string;
  healthOk: string;
  healthDown: string;
  version: (version: string) => string;
  noAgents: string;
  noRunning: string;
  noApprovals: string;
  noConversations: string;
  viewAll: string;
  tokens: string;
  // agents
  newAgent: string;
  agentName: string;
  description: string;
  status: string;
  statuses: Record<string, string>;
  start: string;
  stop: string;
  starting: string;
  openConversation: string;
  newConversation: string;
  fields: {
    llm_model: string;
    llm_base_url: string;
    llm_api_key_secret: string;
    system_prompt: string;
    tools: string;
    confirmation_mode: string;
    sandbox_image: string;
    network: string;
    secrets: string;
    warm_pool_size: string;
    idle_timeout_seconds: string;
    max_budget_tokens: string;
    llm_timeout_seconds: string;
    llm_idle_timeout_seconds: string;
    max_iterations: string;
    text_tool_calls: string;
  };
  hints: {
    llm_model: string;
    llm_base_url: string;
    llm_api_key_secret: string;
    sandbox_image: string;
    secrets: string;
    max_budget_tokens: string;
    seconds: string;
  };
  networks: { egress: string; none: string };
  toolNames: Record<string, string>;
  newSecretInline: string;
  secretName: string;
  secretValue: string;
  fromSettings: string;
  serverDefault: string;
  usesSettings: string;
  // conversations
  filters: string;
  allAgents: string;
  allStates: string;
  search: string;
  states: Record<string, string>;
  noMatches: string;
  title: string;
  agent: string;
  updated: string;
  usage: string;
  untitled: string;
  noAgent: string;
  // conversation view
  panes: { terminal: string; changes: string; files: string };
  terminalEmpty: string;
  searchTerminal: string;
  matches: (current: number, total: number) => string;
  copyAll: string;
  exitCode: (code: number) => string;
  newTitle: string;
  pendingAction: string;
  approve: string;
  reject: string;
  // settings
  settingsTabs: { llm: string; secrets: string; apiKeys: string; account: string };
  provider: string;
  custom: string;
  apiKey: string;
  apiKeySet: string;
  apiKeyUnset: string;
  clearKey: string;
  testConnection: string;
  testing: string;
  testOk: (ms: number) => string;
  llmErrors: Record<string, string>;
  confirmationDefault: string;
  secretsIntro: string;
  updateValue: string;
  newValue: string;
  noSecrets: string;
  apiKeysIntro: string;
  scopes: string;
  scopeNames: Record<string, string>;
  restrictAgents: string;
  allAgentsKey: string;
  expiresInDays: string;
  keyCreated: string;
  keyShownOnce: string;
  noKeys: string;
  lastUsed: string;
  never: string;
  prefix: string;
  changePassword: string;
  currentPassword: string;
  newPassword: string;
  passwordChanged: string;
  sessions: string;
  sessionCurrent: string;
  endSession: string;
  endOthers: string;
  deleteAccount: string;
  deleteAccountText: string;
  confirmPassword: string;
  signedInAs: (email: string) => string;
  createdAt: string;
  expiresAt: string;
  // workspace
  noChanges: string;
  changeStatus: Record<string, string>;
  binaryFile: string;
  truncated: string;
  up: string;
  upload: string;
  uploading: (name: string) => string;
  newFolder: string;
  download: string;
  downloadAll: string;
  noFiles: string;
  tooLarge: (name: string) => string;
  exportConversation: string;
  importConversation: string;
  /** A step's "fork from here" button, and what screen readers hear after it (the step's `seq`). */
  forkFromHere: string;
  forkFromHereAt: (seq: number) => string;
  /** The head of a fork: where it came from (the link's text is the original's step). */
  forkedFrom: string;
  forkedFromStep: (seq: number) => string;
  /** A fork's title as shown: its own (or the original's first message) and the step it was forked at. */
  forkTitle: (title: string, seq: number) => string;
  allowedImages: (list: string) => string;
  /**
   * The first start's image build (`status_detail` of phase `building_image`): the image, the step of steps and its
   * Dockerfile instruction when the builder numbers them, else the lines of output so far.
   */
  buildingImage: (build: { image: string; step: number | null; steps: number | null; instruction: string | null; logLines: number | null }) => string;
  /** An agent's Embed tab and visitors. */
  embed: EmbedCatalog;
  /** New conversations from a git repository, and the `workspace` events. */
  repository: RepositoryCatalog;
}

const en: ConsoleCatalog = {
  appName: 'MetisAI',
  nav: { dashboard: 'Dashboard', agents: 'Agents', conversations: 'Conversations', approvals: 'Approvals', settings: 'Settings', main: 'Main' },
  titles: {
    login: 'Sign in',
    register: 'Create an account',
    dashboard: 'Dashboard',
    agents: 'Agents',
    newAgent: 'New agent',
    conversations: 'Conversations',
    approvals: 'Approvals',
    settings: 'Settings',
    notFound: 'Page not found',
  },
  signIn: 'Sign in',
  signOut: 'Sign out',
  menu: 'Menu',
  register: 'Create account',
  email: 'Email',
  password: 'Password',
  name: 'Name',
  noAccount: 'No account yet?',
  haveAccount: 'Already have an account?',
  registrationClosed: 'Registration is closed on this server.',
  passwordHint: 'At least 10 characters; common passwords are refused.',
  sessionExpiring: (minutes) => `Your session ends in ${minutes} min. Save your work and sign in again.`,
  sessionExpired: 'Your session has ended. Sign in again to continue.',
  tabNote: 'You stay signed in in this tab only (the token is kept in this tab’s session storage).',
  serverUnreachable: 'The server cannot be reached. Retrying…',
  language: 'Language',
  theme: 'Theme',
  themes: { auto: 'System', light: 'Light', dark: 'Dark' },
  skipToContent: 'Skip to content',
  loading: 'Loading…',
  save: 'Save',
  saved: 'Saved.',
  cancel: 'Cancel',
  delete: 'Delete',
  deleteConfirm: (what) => `Delete ${what}? This cannot be undone.`,
  create: 'Create',
  edit: 'Edit',
  rename: 'Rename',
  close: 'Close',
  copy: 'Copy',
  copied: 'Copied',
  retry: 'Retry',
  next: 'Next',
  previous: 'Previous',
  none: 'None',
  inherit: 'Use my settings',
  on: 'On',
  off: 'Off',
  yes: 'Yes',
  no: 'No',
  optional: 'optional',
  notFoundText: 'There is no page at this address.',
  backHome: 'Back to the dashboard',
  checklist: 'Get started',
  checklistSteps: {
    llm: 'Set a language model (Settings → LLM)',
    agent: 'Create an agent',
    start: 'Start the agent',
    conversation: 'Open a conversation with it',
  },
  done: 'done',
  agentsCard: 'Agents',
  runningCard: 'Running conversations',
  approvalsCard: 'Waiting for approval',
  recentCard: 'Recent conversations',
  usageCard: 'Tokens per day (14 days)',
  usageSummary: (tokens, days) => `${tokens} tokens in ${days} days`,
  healthCard: 'Server',
  healthOk: 'Healthy: the database answers.',
  healthDown: 'Not ready: the database does not answer.',
  version: (version) => `Version ${version}`,
  noAgents: 'No agents yet.',
  noRunning: 'Nothing is running.',
  noApprovals: 'Nothing waits for you.',
  noConversations: 'No conversations yet.',
  viewAll: 'View all',
  tokens: 'tokens',
  newAgent: 'New agent',
  agentName: 'Name',
  description: 'Description',
  status: 'Status',
  statuses: { stopped: 'Stopped', starting: 'Starting', running: 'Running', stopping: 'Stopping', error: 'Error' },
  start: 'Start',
  stop: 'Stop',
  starting: 'Starting…',
  openConversation: 'Open',
  newConversation: 'New conversation',
  fields: {
    llm_model: 'Model',
    llm_base_url: 'Base URL',
    llm_api_key_secret: 'API key',
    system_prompt: 'System prompt',
    tools: 'Tools',
    confirmation_mode: 'Confirmation mode',
    sandbox_image: 'Sandbox image',
    network: 'Network',
    secrets: 'Secrets it may use',
    warm_pool_size: 'Warm pool',
    idle_timeout_seconds: 'Idle timeout (s)',
    max_budget_tokens: 'Token budget',
    llm_timeout_seconds: 'LLM call timeout (s)',
    llm_idle_timeout_seconds: 'LLM silence timeout (s)',
    max_iterations: 'Step limit',
    text_tool_calls: 'Run tool calls written as text',
  },
  hints: {
    llm_model: 'Empty: the model of your settings.',
    llm_base_url: 'OpenAI-compatible, with /v1. Empty: your settings’.',
    llm_api_key_secret: 'A secret holding the key. Empty: the key of your settings.',
    sandbox_image: 'Empty: the server’s default image.',
    secrets: 'Exported as environment variables in the sandbox.',
    max_budget_tokens: 'Prompt and completion tokens a conversation may use. Empty: no budget.',
    seconds: 'Empty: the default.',
  },
  networks: { egress: 'Internet only (no private networks)', none: 'No network' },
  toolNames: { execute_bash: 'Shell commands', str_replace_editor: 'File editor', think: 'Think', finish: 'Finish' },
  newSecretInline: 'New secret…',
  secretName: 'Secret name',
  secretValue: 'Value',
  fromSettings: 'From my settings',
  serverDefault: 'Server default',
  usesSettings: 'Conversations use your settings',
  filters: 'Filters',
  allAgents: 'All agents',
  allStates: 'Any state',
  search: 'Search titles',
  states: {
    idle: 'Idle',
    running: 'Running',
    awaiting_confirmation: 'Waiting for approval',
    finished: 'Finished',
    stopped: 'Stopped',
    error: 'Error',
  },
  noMatches: 'No conversation matches these filters.',
  title: 'Title',
  agent: 'Agent',
  updated: 'Updated',
  usage: 'Tokens',
  untitled: 'Untitled conversation',
  noAgent: 'No agent',
  panes: { terminal: 'Terminal', changes: 'Changes', files: 'Files' },
  terminalEmpty: 'Commands the agent runs appear here.',
  searchTerminal: 'Search the terminal',
  matches: (current, total) => (total === 0 ? 'No matches' : `${current} of ${total}`),
  copyAll: 'Copy all',
  exitCode: (code) => `exit ${code}`,
  newTitle: 'Title',
  pendingAction: 'Waiting for approval',
  approve: 'Approve',
  reject: 'Reject',
  settingsTabs: { llm: 'Language model', secrets: 'Secrets', apiKeys: 'API keys', account: 'Account' },
  provider: 'Provider',
  custom: 'Custom',
  apiKey: 'API key',
  apiKeySet: 'A key is set (write-only). Type a new one to replace it.',
  apiKeyUnset: 'No key is set.',
  clearKey: 'Remove the key',
  testConnection: 'Test connection',
  testing: 'Testing…',
  testOk: (ms) => `The model answered in ${ms} ms.`,
  llmErrors: {
    llm_auth: 'The provider refused the key.',
    llm_model_not_found: 'The provider does not know this model (or the URL’s path is wrong).',
    llm_rate_limited: 'The provider is rate limiting this key.',
    llm_context_length: 'The prompt is too long for this model.',
    llm_unreachable: 'Nothing answers at this address.',
    llm_timeout: 'The provider did not answer in time.',
    egress_refused: 'The server does not connect to this address.',
    llm_error: 'The provider failed.',
  },
  confirmationDefault: 'Ask before every command or edit',
  secretsIntro: 'Values are encrypted and never shown again; agents get the ones they may use as environment variables.',
  updateValue: 'Replace value',
  newValue: 'New value',
  noSecrets: 'No secrets yet.',
  apiKeysIntro: 'Keys for programs (the SDK, scripts). A key is shown once, when it is created.',
  scopes: 'Scopes',
  scopeNames: {
    read: 'read: view everything',
    run: 'run: conversations and messages',
    manage: 'manage: agents, settings, secrets',
    'embed:mint': 'embed:mint: mint embed tokens',
  },
  restrictAgents: 'Only these agents',
  allAgentsKey: 'All agents',
  expiresInDays: 'Expires in (days)',
  keyCreated: 'Your new key',
  keyShownOnce: 'Copy it now: it will not be shown again.',
  noKeys: 'No API keys.',
  lastUsed: 'Last used',
  never: 'never',
  prefix: 'Key',
  changePassword: 'Change password',
  currentPassword: 'Current password',
  newPassword: 'New password',
  passwordChanged: 'Password changed. Your other sessions and your API keys were ended.',
  sessions: 'Signed-in sessions',
  sessionCurrent: 'this tab',
  endSession: 'End',
  endOthers: 'End all other sessions',
  deleteAccount: 'Delete account',
  deleteAccountText: 'Deletes your agents, conversations, files, secrets and keys. Type your password to confirm.',
  confirmPassword: 'Password',
  signedInAs: (email) => `Signed in as ${email}`,
  createdAt: 'Created',
  expiresAt: 'Expires',
  noChanges: 'No changes in the workspace yet.',
  changeStatus: { added: 'added', modified: 'modified', deleted: 'deleted' },
  binaryFile: 'A binary file.',
  truncated: 'Too long: the rest is not shown.',
  up: 'Up',
  upload: 'Upload',
  uploading: (name) => `Uploading ${name}`,
  newFolder: 'New folder',
  download: 'Download',
  downloadAll: 'Download all',
  noFiles: 'No files here.',
  tooLarge: (name) => `${name} is larger than this server takes.`,
  exportConversation: 'Export',
  forkFromHere: 'Fork from here',
  forkFromHereAt: (seq) => `: a new conversation from step ${seq}, with the files as they were then`,
  forkedFrom: 'Forked from',
  forkedFromStep: (seq) => `step ${seq} of the original`,
  forkTitle: (title, seq) => `${title} (fork at step ${seq})`,
  importConversation: 'Import',
  allowedImages: (list) => `This server allows: ${list}.`,
  buildingImage: ({ image, step, steps, instruction, logLines }) =>
    `Building the sandbox image ${image} (once; the first start takes a few minutes)` +
    (step !== null && steps !== null
      ? `: step ${step} of ${steps}${instruction ? ` (${instruction})` : ''}`
      : logLines !== null
        ? `: ${logLines} lines of output so far`
        : '') +
    '.',
  embed: embedEn,
  repository: repositoryEn,
};

const zh: ConsoleCatalog = {
  appName: 'MetisAI',
  nav: { dashboard: '概览', agents: '智能体', conversations: '对话', approvals: '待批准', settings: '设置', main: '主导航' },
  titles: {
    login: '登录',
    register: '注册账号',
    dashboard: '概览',
    agents: '智能体',
    newAgent: '新建智能体',
    conversations: '对话',
    approvals: '待批准',
    settings: '设置',
    notFound: '页面不存在',
  },
  signIn: '登录',
  signOut: '退出登录',
  menu: '菜单',
  register: '注册',
  email: '邮箱',
  password: '密码',
  name: '名字',
  noAccount: '还没有账号？',
  haveAccount: '已有账号？',
  registrationClosed: '此服务器已关闭注册。',
  passwordHint: '至少 10 个字符；常见密码会被拒绝。',
  sessionExpiring: (minutes) => `会话将在 ${minutes} 分钟后结束。请保存工作并重新登录。`,
  sessionExpired: '会话已结束，请重新登录。',
  tabNote: '仅在此标签页中保持登录（令牌保存在此标签页的 sessionStorage 中）。',
  serverUnreachable: '无法连接服务器，正在重试…',
  language: '语言',
  theme: '主题',
  themes: { auto: '跟随系统', light: '浅色', dark: '深色' },
  skipToContent: '跳到正文',
  loading: '加载中…',
  save: '保存',
  saved: '已保存。',
  cancel: '取消',
  delete: '删除',
  deleteConfirm: (what) => `删除 ${what}？此操作无法撤销。`,
  create: '创建',
  edit: '编辑',
  rename: '重命名',
  close: '关闭',
  copy: '复制',
  copied: '已复制',
  retry: '重试',
  next: '下一页',
  previous: '上一页',
  none: '无',
  inherit: '使用我的设置',
  on: '开启',
  off: '关闭',
  yes: '是',
  no: '否',
  optional: '可选',
  notFoundText: '此地址没有页面。',
  backHome: '返回概览',
  checklist: '开始使用',
  checklistSteps: {
    llm: '设置语言模型（设置 → 语言模型）',
    agent: '创建一个智能体',
    start: '启动智能体',
    conversation: '与它开始一个对话',
  },
  done: '已完成',
  agentsCard: '智能体',
  runningCard: '运行中的对话',
  approvalsCard: '等待批准',
  recentCard: '最近的对话',
  usageCard: '每日令牌用量（14 天）',
  usageSummary: (tokens, days) => `${days} 天共 ${tokens} 个令牌`,
  healthCard: '服务器',
  healthOk: '正常：数据库可用。',
  healthDown: '未就绪：数据库无响应。',
  version: (version) => `版本 ${version}`,
  noAgents: '还没有智能体。',
  noRunning: '没有正在运行的对话。',
  noApprovals: '没有等待你批准的操作。',
  noConversations: '还没有对话。',
  viewAll: '查看全部',
  tokens: '令牌',
  newAgent: '新建智能体',
  agentName: '名称',
  description: '描述',
  status: '状态',
  statuses: { stopped: '已停止', starting: '启动中', running: '运行中', stopping: '停止中', error: '出错' },
  start: '启动',
  stop: '停止',
  starting: '启动中…',
  openConversation: '打开',
  newConversation: '新对话',
  fields: {
    llm_model: '模型',
    llm_base_url: '接口地址（Base URL）',
    llm_api_key_secret: 'API 密钥',
    system_prompt: '系统提示词',
    tools: '工具',
    confirmation_mode: '确认模式',
    sandbox_image: '沙箱镜像',
    network: '网络',
    secrets: '可使用的密钥',
    warm_pool_size: '预热池',
    idle_timeout_seconds: '空闲超时（秒）',
    max_budget_tokens: '令牌预算',
    llm_timeout_seconds: '模型调用超时（秒）',
    llm_idle_timeout_seconds: '模型无响应超时（秒）',
    max_iterations: '步数上限',
    text_tool_calls: '执行以文本写出的工具调用',
  },
  hints: {
    llm_model: '留空：使用设置中的模型。',
    llm_base_url: '兼容 OpenAI，包含 /v1。留空：使用设置中的地址。',
    llm_api_key_secret: '保存密钥的机密。留空：使用设置中的密钥。',
    sandbox_image: '留空：服务器的默认镜像。',
    secrets: '以环境变量形式提供给沙箱。',
    max_budget_tokens: '一个对话可使用的令牌总数。留空：不限。',
    seconds: '留空：使用默认值。',
  },
  networks: { egress: '仅公网（不可访问私有网络）', none: '无网络' },
  toolNames: { execute_bash: 'Shell 命令', str_replace_editor: '文件编辑', think: '思考', finish: '完成' },
  newSecretInline: '新建机密…',
  secretName: '机密名称',
  secretValue: '值',
  fromSettings: '来自我的设置',
  serverDefault: '服务器默认',
  usesSettings: '对话使用你的设置',
  filters: '筛选',
  allAgents: '全部智能体',
  allStates: '任意状态',
  search: '搜索标题',
  states: {
    idle: '空闲',
    running: '运行中',
    awaiting_confirmation: '等待批准',
    finished: '已完成',
    stopped: '已停止',
    error: '出错',
  },
  noMatches: '没有符合筛选条件的对话。',
  title: '标题',
  agent: '智能体',
  updated: '更新时间',
  usage: '令牌',
  untitled: '未命名对话',
  noAgent: '无智能体',
  panes: { terminal: '终端', changes: '变更', files: '文件' },
  terminalEmpty: '智能体运行的命令会显示在这里。',
  searchTerminal: '搜索终端',
  matches: (current, total) => (total === 0 ? '无匹配' : `第 ${current} 个，共 ${total} 个`),
  copyAll: '全部复制',
  exitCode: (code) => `退出码 ${code}`,
  newTitle: '标题',
  pendingAction: '等待批准',
  approve: '批准',
  reject: '拒绝',
  settingsTabs: { llm: '语言模型', secrets: '机密', apiKeys: 'API 密钥', account: '账号' },
  provider: '服务商',
  custom: '自定义',
  apiKey: 'API 密钥',
  apiKeySet: '已设置密钥（只写）。输入新的密钥即可替换。',
  apiKeyUnset: '未设置密钥。',
  clearKey: '移除密钥',
  testConnection: '测试连接',
  testing: '测试中…',
  testOk: (ms) => `模型在 ${ms} 毫秒内响应。`,
  llmErrors: {
    llm_auth: '服务商拒绝了该密钥。',
    llm_model_not_found: '服务商不认识此模型（或地址路径有误）。',
    llm_rate_limited: '服务商正在限制此密钥的请求频率。',
    llm_context_length: '提示词超出了此模型的长度限制。',
    llm_unreachable: '此地址没有响应。',
    llm_timeout: '服务商未能及时响应。',
    egress_refused: '服务器不连接此地址。',
    llm_error: '服务商出错。',
  },
  confirmationDefault: '每条命令或编辑前询问',
  secretsIntro: '值会被加密且不再显示；智能体以环境变量获得允许使用的机密。',
  updateValue: '替换值',
  newValue: '新值',
  noSecrets: '还没有机密。',
  apiKeysIntro: '供程序（SDK、脚本）使用的密钥。密钥只在创建时显示一次。',
  scopes: '权限范围',
  scopeNames: {
    read: 'read：查看全部',
    run: 'run：对话与消息',
    manage: 'manage：智能体、设置与机密',
    'embed:mint': 'embed:mint：签发嵌入令牌',
  },
  restrictAgents: '仅限这些智能体',
  allAgentsKey: '全部智能体',
  expiresInDays: '有效期（天）',
  keyCreated: '新的密钥',
  keyShownOnce: '请立即复制：它不会再次显示。',
  noKeys: '没有 API 密钥。',
  lastUsed: '最近使用',
  never: '从未',
  prefix: '密钥',
  changePassword: '修改密码',
  currentPassword: '当前密码',
  newPassword: '新密码',
  passwordChanged: '密码已修改。其他会话和全部 API 密钥已失效。',
  sessions: '已登录的会话',
  sessionCurrent: '此标签页',
  endSession: '结束',
  endOthers: '结束其他全部会话',
  deleteAccount: '删除账号',
  deleteAccountText: '将删除你的智能体、对话、文件、机密和密钥。请输入密码确认。',
  confirmPassword: '密码',
  signedInAs: (email) => `当前账号：${email}`,
  createdAt: '创建时间',
  expiresAt: '到期时间',
  noChanges: '工作区暂无变更。',
  changeStatus: { added: '新增', modified: '修改', deleted: '删除' },
  binaryFile: '二进制文件。',
  truncated: '内容过长，其余部分未显示。',
  up: '上一级',
  upload: '上传',
  uploading: (name) => `正在上传 ${name}`,
  newFolder: '新建文件夹',
  download: '下载',
  downloadAll: '全部下载',
  noFiles: '此处没有文件。',
  tooLarge: (name) => `${name} 超出了此服务器允许的大小。`,
  exportConversation: '导出',
  forkFromHere: '从这里分叉',
  forkFromHereAt: (seq) => `：从第 ${seq} 步开始的新对话，文件保持当时的样子`,
  forkedFrom: '分叉自',
  forkedFromStep: (seq) => `原对话第 ${seq} 步`,
  forkTitle: (title, seq) => `${title}（分叉自第 ${seq} 步）`,
  importConversation: '导入',
  allowedImages: (list) => `此服务器允许：${list}。`,
  buildingImage: ({ image, step, steps, instruction, logLines }) =>
    `正在构建沙箱镜像 ${image}（仅首次启动，需要几分钟）` +
    (step !== null && steps !== null
      ? `：第 ${step} 步，共 ${steps} 步${instruction ? `（${instruction}）` : ''}`
      : logLines !== null
        ? `：已输出 ${logLines} 行`
        : '') +
    '。',
  embed: embedZh,
  repository: repositoryZh,
};

/** The console's catalogs, by language (the same languages as the shared catalog). */
export const CONSOLE_CATALOGS: Record<Language, ConsoleCatalog> = { en, zh };
