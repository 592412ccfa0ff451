/**
 * The console's words for an agent's Embed tab and visitors (`embed`), and for conversations started from a git
 * repository with their `workspace` events (`repository`), in English and Chinese. Part of `ConsoleCatalog`.
 */
export interface EmbedCatalog {
  agentTabs: string;
  configTab: string;
  embedTab: string;
  intro: string;
  keys: string;
  keysIntro: string;
  noKeys: string;
  key: string;
  allowedOrigins: string;
  originsHint: string;
  actions: string;
  newKey: string;
  createKey: string;
  keyCreated: string;
  editOrigins: string;
  rotate: string;
  revoke: string;
  rotateConfirm: string;
  revokeConfirm: string;
  rotated: string;
  revoked: string;
  rotatedAt: (when: string) => string;
  snippet: string;
  snippetIntro: string;
  snippetNeedsKey: string;
  snippetDisabled: string;
  /**
   * The policy's warning on a server whose sandbox driver is `local` (`server-info`): visitors are refused there
   * unless the server allows it, and their network must be `egress` (docs/embedding.md).
   */
  localDriver: string;
  snippetKey: string;
  policy: string;
  enabled: string;
  enabledHint: string;
  tools: string;
  toolsHint: string;
  network: string;
  secrets: string;
  secretsHint: string;
  noAgentSecrets: string;
  confirmationTimeout: string;
  confirmationTimeoutHint: string;
  retentionDays: string;
  retentionHint: string;
  quotas: string;
  quotasHint: string;
  quotaNames: {
    visitor_messages_per_hour: string;
    visitor_tokens_per_day: string;
    visitor_sandboxes: string;
    agent_messages_per_hour: string;
    agent_tokens_per_day: string;
    agent_sandboxes: string;
  };
  preview: string;
  previewIntro: string;
  previewNeedsRunning: string;
  showPreview: string;
  visitorConversations: string;
  noVisitorConversations: string;
  allVisitorConversations: string;
  visitor: string;
  visitorFilter: (id: string) => string;
  visitorsFilter: string;
  visitorsAll: string;
  visitorsOnly: string;
  visitorsNone: string;
  visitorId: string;
  ownConversation: string;
}

export interface RepositoryCatalog {
  newConversationHeading: string;
  fromRepository: string;
  url: string;
  urlHint: string;
  ref: string;
  refHint: string;
  tokenSecret: string;
  tokenSecretHint: string;
  noToken: string;
  depth: string;
  depthHint: string;
  noRunningAgent: string;
  cloning: (url: string) => string;
  progress: (objects: string, bytes: string) => string;
  ready: (url: string) => string;
  commit: (commit: string) => string;
  failed: (url: string) => string;
  instructions: (count: number) => string;
  uploaded: (count: number) => string;
}

export const embedEn: EmbedCatalog = {
  agentTabs: 'Agent',
  configTab: 'Configuration',
  embedTab: 'Embed',
  intro: 'Put this agent on your website with <metis-chat>: anonymous visitors talk to it under the policy and quotas below.',
  keys: 'Publishable keys',
  keysIntro: 'A publishable key is public (it sits in the page); it works only from the origins it allows.',
  noKeys: 'No publishable keys yet.',
  key: 'Key',
  allowedOrigins: 'Allowed origins',
  originsHint: 'One per line, exactly as browsers send them: https://www.example.com (plain http only for localhost).',
  actions: 'Actions',
  newKey: 'New publishable key',
  createKey: 'Create key',
  keyCreated: 'Key created.',
  editOrigins: 'Edit origins',
  rotate: 'Rotate',
  revoke: 'Revoke',
  rotateConfirm: 'Rotate this key? Pages using the old value stop working, and open visitor sessions end.',
  revokeConfirm: 'Revoke this key? Pages using it stop working, and open visitor sessions end.',
  rotated: 'Key rotated: update the snippet on your pages.',
  revoked: 'Key revoked.',
  rotatedAt: (when) => `Rotated ${when}`,
  snippet: 'Snippet',
  snippetIntro: 'Paste this into a page on one of the key’s origins.',
  snippetNeedsKey: 'Create a publishable key to get the snippet.',
  snippetDisabled: 'Embedding is off: turn it on below (Embedding on, then Save) before you paste this snippet into a page.',
  localDriver:
    'This server runs agents on the local driver (no Docker), which isolates nothing: visitors are refused unless the server sets ALLOW_UNSAFE_LOCAL_SANDBOX=true, and it cannot cut their network, so choose “Internet only” below (network: egress); with “No network” their runs fail.',
  snippetKey: 'Key of the snippet',
  policy: 'Embedding, policy and quotas',
  enabled: 'Embedding on',
  enabledHint: 'Turning it off ends every visitor session at once.',
  tools: 'Tools visitors may use',
  toolsHint: 'Only those also enabled for the agent are offered.',
  network: 'Network of visitors’ sandboxes',
  secrets: 'Secrets in visitors’ sandboxes',
  secretsHint: 'Of the agent’s secrets; none by default.',
  noAgentSecrets: 'The agent uses no secrets.',
  confirmationTimeout: 'Approval timeout (seconds)',
  confirmationTimeoutHint: 'You approve visitors’ actions; unanswered ones are rejected after this.',
  retentionDays: 'Keep visitor conversations (days)',
  retentionHint: 'Empty: kept until deleted.',
  quotas: 'Quotas',
  quotasHint: 'Messages count over the last hour, tokens since midnight UTC, sandboxes while they run. 0 refuses everything.',
  quotaNames: {
    visitor_messages_per_hour: 'Messages per visitor per hour',
    visitor_tokens_per_day: 'Tokens per visitor per day',
    visitor_sandboxes: 'Sandboxes per visitor',
    agent_messages_per_hour: 'Messages per hour, all visitors',
    agent_tokens_per_day: 'Tokens per day, all visitors',
    agent_sandboxes: 'Sandboxes, all visitors',
  },
  preview: 'Live preview',
  previewIntro: 'The widget as it looks in a page, run with your own account (your conversations, not a visitor’s).',
  previewNeedsRunning: 'Start the agent to try it here.',
  showPreview: 'Show the preview',
  visitorConversations: 'Visitors’ conversations',
  noVisitorConversations: 'No visitor has talked to this agent yet.',
  allVisitorConversations: 'All visitors’ conversations of this agent',
  visitor: 'Visitor',
  visitorFilter: (id) => `Conversations of visitor ${id}`,
  visitorsFilter: 'Who',
  visitorsAll: 'Everyone',
  visitorsOnly: 'Visitors only',
  visitorsNone: 'Mine only',
  visitorId: 'Visitor id',
  ownConversation: 'You',
};

export const embedZh: EmbedCatalog = {
  agentTabs: '智能体',
  configTab: '配置',
  embedTab: '嵌入',
  intro: '用 <metis-chat> 把这个智能体放到你的网站上：匿名访客在下面的策略和配额内与它对话。',
  keys: '可发布密钥',
  keysIntro: '可发布密钥是公开的（写在网页里），只在它允许的来源上有效。',
  noKeys: '还没有可发布密钥。',
  key: '密钥',
  allowedOrigins: '允许的来源',
  originsHint: '每行一个，与浏览器发送的完全一致：https://www.example.com（仅 localhost 可用 http）。',
  actions: '操作',
  newKey: '新建可发布密钥',
  createKey: '创建密钥',
  keyCreated: '密钥已创建。',
  editOrigins: '编辑来源',
  rotate: '轮换',
  revoke: '吊销',
  rotateConfirm: '轮换此密钥？使用旧值的网页将失效，进行中的访客会话会结束。',
  revokeConfirm: '吊销此密钥？使用它的网页将失效，进行中的访客会话会结束。',
  rotated: '密钥已轮换：请更新网页上的代码片段。',
  revoked: '密钥已吊销。',
  rotatedAt: (when) => `轮换于 ${when}`,
  snippet: '代码片段',
  snippetIntro: '把它粘贴到密钥允许的来源上的网页中。',
  snippetNeedsKey: '先创建一个可发布密钥，才能得到代码片段。',
  snippetDisabled: '嵌入已关闭：请先在下方开启（勾选“开启嵌入”后保存），再把代码片段粘贴到网页中。',
  localDriver:
    '此服务器使用本地驱动（没有 Docker）运行智能体，不做任何隔离：除非服务器设置了 ALLOW_UNSAFE_LOCAL_SANDBOX=true，否则访客会被拒绝；它也无法切断网络，因此请在下方选择“仅公网”（network: egress），选“无网络”时访客的运行会失败。',
  snippetKey: '代码片段使用的密钥',
  policy: '嵌入、策略与配额',
  enabled: '开启嵌入',
  enabledHint: '关闭后所有访客会话立即结束。',
  tools: '访客可用的工具',
  toolsHint: '只提供智能体本身也启用的工具。',
  network: '访客沙箱的网络',
  secrets: '访客沙箱中的密钥',
  secretsHint: '从智能体的密钥中选择；默认不提供。',
  noAgentSecrets: '该智能体没有使用密钥。',
  confirmationTimeout: '审批超时（秒）',
  confirmationTimeoutHint: '访客的操作由你审批；超时未答复的将被拒绝。',
  retentionDays: '访客对话保留天数',
  retentionHint: '留空：一直保留，直到删除。',
  quotas: '配额',
  quotasHint: '消息按最近一小时计，令牌按 UTC 零点以来计，沙箱按运行中计。0 表示全部拒绝。',
  quotaNames: {
    visitor_messages_per_hour: '每位访客每小时消息数',
    visitor_tokens_per_day: '每位访客每天令牌数',
    visitor_sandboxes: '每位访客沙箱数',
    agent_messages_per_hour: '所有访客每小时消息数',
    agent_tokens_per_day: '所有访客每天令牌数',
    agent_sandboxes: '所有访客沙箱数',
  },
  preview: '实时预览',
  previewIntro: '组件在网页中的样子，以你自己的账户运行（是你的对话，不是访客的）。',
  previewNeedsRunning: '启动智能体后可在此试用。',
  showPreview: '显示预览',
  visitorConversations: '访客的对话',
  noVisitorConversations: '还没有访客与这个智能体对话。',
  allVisitorConversations: '这个智能体的全部访客对话',
  visitor: '访客',
  visitorFilter: (id) => `访客 ${id} 的对话`,
  visitorsFilter: '来自',
  visitorsAll: '全部',
  visitorsOnly: '仅访客',
  visitorsNone: '仅我自己',
  visitorId: '访客 ID',
  ownConversation: '我',
};

export const repositoryEn: RepositoryCatalog = {
  newConversationHeading: 'New conversation',
  fromRepository: 'Start from a git repository (optional)',
  url: 'Repository URL',
  urlHint: 'https://…, without credentials: pick a secret for the token.',
  ref: 'Branch or tag',
  refHint: 'Empty: the default branch.',
  tokenSecret: 'Access token',
  tokenSecretHint: 'One of your secrets, sent as the password to the repository’s host only.',
  noToken: 'None (a public repository)',
  depth: 'History depth (commits)',
  depthHint: 'Empty: 1, the latest commit only.',
  noRunningAgent: 'No agent is running: the conversation uses your settings.',
  cloning: (url) => `Cloning ${url}…`,
  progress: (objects, bytes) => `${objects} objects, ${bytes} received`,
  ready: (url) => `Cloned ${url}`,
  commit: (commit) => `at commit ${commit}`,
  failed: (url) => `Cloning ${url} failed`,
  instructions: (count) =>
    count === 0 ? 'No repository instructions any more.' : `Loaded ${count} instruction file${count === 1 ? '' : 's'} of the repository`,
  uploaded: (count) => `${count} file${count === 1 ? '' : 's'} uploaded`,
};

export const repositoryZh: RepositoryCatalog = {
  newConversationHeading: '新建对话',
  fromRepository: '从 git 代码仓库开始（可选）',
  url: '代码仓库 URL',
  urlHint: 'https://…，不含凭据：令牌请选择一个密钥。',
  ref: '分支或标签',
  refHint: '留空：默认分支。',
  tokenSecret: '访问令牌',
  tokenSecretHint: '你的某个密钥，只作为密码发送给代码仓库的主机。',
  noToken: '无（公开仓库）',
  depth: '历史深度（提交数）',
  depthHint: '留空：1，仅最新提交。',
  noRunningAgent: '没有运行中的智能体：对话将使用你的设置。',
  cloning: (url) => `正在克隆 ${url}…`,
  progress: (objects, bytes) => `已接收 ${objects} 个对象，${bytes}`,
  ready: (url) => `已克隆 ${url}`,
  commit: (commit) => `提交 ${commit}`,
  failed: (url) => `克隆 ${url} 失败`,
  instructions: (count) => (count === 0 ? '代码仓库的说明已不再存在。' : `已加载代码仓库的 ${count} 个说明文件`),
  uploaded: (count) => `已上传 ${count} 个文件`,
};
