import type { ErrorCode, EventErrorCode } from '@metisai/sdk/lean';

/** Codes the widget itself reports (configuration and transport), beside the server's. */
export type WidgetErrorCode =
  | 'missing_server'
  | 'missing_credentials'
  | 'api_key_refused'
  | 'visitor_session_failed'
  | 'agent_offline'
  | 'file_too_large'
  | 'too_many_attachments'
  | 'connection_error'
  | 'timeout'
  | 'invalid_response'
  | 'aborted'
  | 'unknown_error';

/** Every code a message can be looked up for: the server's HTTP codes, its event codes and the widget's. */
export type MessageErrorCode = ErrorCode | EventErrorCode | WidgetErrorCode;

/** One language: the interface's words, and a sentence for every error code. */
export interface Catalog {
  /** The BCP 47 tag for `Intl` (sizes, dates). */
  locale: string;
  title: string;
  openChat: string;
  closeChat: string;
  placeholder: string;
  inputLabel: string;
  send: string;
  stop: string;
  retry: string;
  newChat: string;
  conversations: string;
  backToChat: string;
  noConversations: string;
  untitled: string;
  loadEarlier: string;
  jumpToLatest: string;
  unread: (count: number) => string;
  copy: string;
  copied: string;
  reasoning: string;
  you: string;
  agent: string;
  command: string;
  edit: string;
  thought: string;
  finish: string;
  tool: string;
  running: string;
  exitCode: (code: number) => string;
  seconds: (seconds: string) => string;
  noOutput: string;
  imageBlocked: (host: string) => string;
  unknownEvent: (type: string) => string;
  approvalPrompt: string;
  approve: string;
  reject: string;
  approvalHint: string;
  waitingApproval: string;
  /** Visitors cannot approve: the agent's owner does. */
  waitingOwnerApproval: string;
  thinking: string;
  writing: string;
  runningCommand: string;
  editingFile: string;
  stopped: string;
  finished: string;
  runStarted: string;
  runEnded: string;
  runFailed: string;
  offline: string;
  networkOffline: string;
  reconnecting: string;
  suggestions: string;
  /** The attach button. */
  attachFiles: string;
  /** The list of picked files. */
  attachments: string;
  removeAttachment: (name: string) => string;
  /** A file's upload progress (its `<progress>`'s label). */
  uploading: (name: string) => string;
  /** Next to the field: the server's upload limit (a formatted size). */
  uploadLimit: (size: string) => string;
  /** A picked file over the limit. */
  fileTooLarge: (size: string) => string;
  /** Shown while files are dragged over the composer. */
  dropFiles: string;
  /** The offline state: its heading, and what happens next (owner: back by itself; visitor: try again; server). */
  agentOfflineTitle: string;
  agentOfflineHint: string;
  agentOfflineVisitorHint: string;
  serverUnreachableTitle: string;
  serverUnreachableHint: string;
  errors: Record<MessageErrorCode, string>;
}

const en: Catalog = {
  locale: 'en',
  title: 'Chat',
  openChat: 'Open chat',
  closeChat: 'Close chat',
  placeholder: 'Ask anything…',
  inputLabel: 'Message',
  send: 'Send',
  stop: 'Stop',
  retry: 'Retry',
  newChat: 'New chat',
  conversations: 'Conversations',
  backToChat: 'Back to the chat',
  noConversations: 'No conversations yet.',
  untitled: 'Untitled conversation',
  loadEarlier: 'Load earlier messages',
  jumpToLatest: 'Jump to latest',
  unread: (count) => `${count} unread`,
  copy: 'Copy',
  copied: 'Copied',
  reasoning: 'Reasoning',
  you: 'You',
  agent: 'Agent',
  command: 'Command',
  edit: 'Edit',
  thought: 'Thought',
  finish: 'Done',
  tool: 'Tool',
  running: 'running',
  exitCode: (code) => `exit ${code}`,
  seconds: (seconds) => `${seconds} s`,
  noOutput: '(no output)',
  imageBlocked: (host) => `Image from ${host} not shown`,
  unknownEvent: (type) => `Event “${type}”`,
  approvalPrompt: 'The agent asks to run this step.',
  approve: 'Approve',
  reject: 'Reject',
  approvalHint: 'Enter approves, Escape rejects.',
  waitingApproval: 'Waiting for approval',
  waitingOwnerApproval: 'Waiting for the owner’s approval',
  thinking: 'Thinking…',
  writing: 'Writing…',
  runningCommand: 'Running a command…',
  editingFile: 'Editing a file…',
  stopped: 'Stopped',
  finished: 'Done',
  runStarted: 'The agent is working.',
  runEnded: 'The agent has answered.',
  runFailed: 'The agent stopped with an error.',
  offline: 'The agent is offline.',
  networkOffline: 'You are offline. The chat reconnects when the network is back.',
  reconnecting: 'Reconnecting…',
  suggestions: 'Suggestions',
  attachFiles: 'Attach files',
  attachments: 'Attached files',
  removeAttachment: (name) => `Remove ${name}`,
  uploading: (name) => `Uploading ${name}`,
  uploadLimit: (size) => `Files up to ${size}`,
  fileTooLarge: (size) => `Too large: files up to ${size}`,
  dropFiles: 'Drop files to attach them',
  agentOfflineTitle: 'The agent is offline',
  agentOfflineHint: 'It cannot answer right now. This chat comes back by itself once the agent is running again.',
  agentOfflineVisitorHint: 'Your message was not delivered. Please try again later.',
  serverUnreachableTitle: 'The chat is offline',
  serverUnreachableHint: 'The server cannot be reached. Trying again…',
  errors: {
    validation_error: 'The request was not valid.',
    invalid_path: 'That path is not inside the workspace.',
    is_a_directory: 'That path is a folder, not a file.',
    not_a_directory: 'That path is a file, not a folder.',
    file_exists: 'A file with that name exists already.',
    length_required: 'The upload did not say its size.',
    download_url_invalid: 'That download link is invalid or expired.',
    insufficient_scope: 'This key or session may not do that.',
    quota_exceeded: 'A limit of this server was reached. Try again later.',
    budget: 'This conversation has used its token budget.',
    egress_refused: 'The server does not connect to that address.',
    agent_start_failed: 'The agent could not start, so your message was not answered. Start the agent again.',
    image_not_allowed: 'That sandbox image is not allowed on this server.',
    bad_request: 'The request was not valid.',
    malformed_json: 'The request could not be read.',
    payload_too_large: 'That message is too large.',
    request_header_too_large: 'The request was too large (its address or headers).',
    request_timeout: 'The request took too long to arrive. Try again.',
    unsupported_media_type: 'The request had an unsupported format.',
    unauthorized: 'You are not signed in, or your session has expired.',
    forbidden: 'You are not allowed to do that.',
    registration_closed: 'Registration is closed on this server.',
    invalid_credentials: 'Wrong email or password.',
    not_a_session: 'This needs a signed-in session.',
    not_found: 'This conversation or agent does not exist.',
    method_not_allowed: 'The server does not allow that.',
    email_taken: 'That email is already registered.',
    conflict: 'That conflicts with the current state.',
    invalid_transition: 'The agent cannot do that in its current state.',
    agent_not_running: 'The agent is offline.',
    agent_deleted: 'The agent was deleted.',
    conversation_busy: 'The agent is still working on the last message.',
    conversation_not_running: 'Nothing is running.',
    not_awaiting_confirmation: 'Nothing is waiting for approval.',
    snapshot_unavailable: 'The files at that step are no longer kept, so it cannot be forked.',
    llm_not_configured: 'The agent has no language model configured.',
    secret_exists: 'That secret already exists.',
    idempotency_key_reused: 'This request was already sent with other content.',
    idempotency_key_in_progress: 'This request is still being processed.',
    rate_limited: 'Too many requests. Please wait a moment.',
    origin_required: 'This page did not say where it comes from (no Origin).',
    origin_not_allowed: 'This chat is not allowed on this website.',
    invalid_publishable_key: 'This chat’s key is not valid (it may have been rotated or revoked).',
    embed_disabled: 'This assistant is not available on websites right now.',
    token_stale: 'This chat’s settings changed. Reload the page to continue.',
    internal_error: 'The server had a problem.',
    llm_retry: 'The language model failed; retrying.',
    llm_context_condensed: 'The conversation was long; older outputs were condensed.',
    text_tool_call: 'The model wrote a tool call as text; it was run.',
    interrupted: 'The run was interrupted (the server restarted).',
    max_iterations: 'The agent reached its step limit.',
    stuck: 'The agent was repeating itself and was stopped.',
    llm_auth: 'The language model refused the agent’s credentials.',
    llm_error: 'The language model failed.',
    llm_timeout: 'The language model did not answer in time.',
    llm_context_length: 'The conversation is too long for the language model.',
    sandbox_error: 'The agent’s workspace failed.',
    repository_not_found: 'The repository was not found.',
    repository_auth_failed: 'The repository refused access: check the token.',
    repository_unreachable: 'The repository’s server could not be reached.',
    repository_ref_not_found: 'The repository has no such branch or tag.',
    repository_too_large: 'The repository is larger than this server clones.',
    missing_server: 'The chat has no server: set its server attribute.',
    missing_credentials: 'The chat has no credentials: give it a token, a tokenProvider or a publishable key.',
    visitor_session_failed: 'This chat could not start on this website: the server is unreachable or does not allow this site.',
    api_key_refused: 'An API key (metis_…) cannot be used in a web page: use a session token.',
    agent_offline: 'The agent is offline.',
    file_too_large: 'That file is larger than the server accepts.',
    too_many_attachments: 'A message takes at most 20 files.',
    connection_error: 'The server cannot be reached.',
    timeout: 'The server took too long to answer.',
    invalid_response: 'The server sent an answer this chat does not understand.',
    aborted: 'The request was cancelled.',
    unknown_error: 'Something went wrong.',
  },
};

const zh: Catalog = {
  locale: 'zh-CN',
  title: '对话',
  openChat: '打开对话',
  closeChat: '关闭对话',
  placeholder: '输入你的问题…',
  inputLabel: '消息',
  send: '发送',
  stop: '停止',
  retry: '重试',
  newChat: '新对话',
  conversations: '对话列表',
  backToChat: '返回对话',
  noConversations: '还没有对话。',
  untitled: '未命名对话',
  loadEarlier: '加载更早的消息',
  jumpToLatest: '跳到最新',
  unread: (count) => `${count} 条未读`,
  copy: '复制',
  copied: '已复制',
  reasoning: '推理过程',
  you: '你',
  agent: '智能体',
  command: '命令',
  edit: '编辑',
  thought: '思考',
  finish: '完成',
  tool: '工具',
  running: '运行中',
  exitCode: (code) => `退出码 ${code}`,
  seconds: (seconds) => `${seconds} 秒`,
  noOutput: '（无输出）',
  imageBlocked: (host) => `未显示来自 ${host} 的图片`,
  unknownEvent: (type) => `事件“${type}”`,
  approvalPrompt: '智能体请求执行这一步。',
  approve: '批准',
  reject: '拒绝',
  approvalHint: '按 Enter 批准，按 Escape 拒绝。',
  waitingApproval: '等待批准',
  waitingOwnerApproval: '等待所有者批准',
  thinking: '思考中…',
  writing: '正在回复…',
  runningCommand: '正在运行命令…',
  editingFile: '正在编辑文件…',
  stopped: '已停止',
  finished: '完成',
  runStarted: '智能体开始工作。',
  runEnded: '智能体已回复。',
  runFailed: '智能体因错误停止。',
  offline: '智能体当前离线。',
  networkOffline: '网络已断开，恢复后将自动重新连接。',
  reconnecting: '正在重新连接…',
  suggestions: '建议',
  attachFiles: '添加文件',
  attachments: '已添加的文件',
  removeAttachment: (name) => `移除 ${name}`,
  uploading: (name) => `正在上传 ${name}`,
  uploadLimit: (size) => `单个文件不超过 ${size}`,
  fileTooLarge: (size) => `文件过大：不能超过 ${size}`,
  dropFiles: '松开即可添加文件',
  agentOfflineTitle: '智能体当前离线',
  agentOfflineHint: '它暂时无法回复。智能体恢复运行后，对话会自动恢复。',
  agentOfflineVisitorHint: '你的消息未能送达，请稍后再试。',
  serverUnreachableTitle: '对话当前离线',
  serverUnreachableHint: '无法连接服务器，正在重试…',
  errors: {
    validation_error: '请求无效。',
    invalid_path: '该路径不在工作区内。',
    is_a_directory: '该路径是文件夹，不是文件。',
    not_a_directory: '该路径是文件，不是文件夹。',
    file_exists: '同名文件已存在。',
    length_required: '上传未注明大小。',
    download_url_invalid: '下载链接无效或已过期。',
    insufficient_scope: '此密钥或会话无权执行此操作。',
    quota_exceeded: '已达到服务器的使用上限，请稍后再试。',
    budget: '此对话已用完其令牌预算。',
    egress_refused: '服务器不连接该地址。',
    agent_start_failed: '智能体未能启动，您的消息未得到回复。请重新启动智能体。',
    image_not_allowed: '此服务器不允许使用该沙箱镜像。',
    bad_request: '请求无效。',
    malformed_json: '无法读取请求。',
    payload_too_large: '消息太大。',
    request_header_too_large: '请求过大（地址或请求头过长）。',
    request_timeout: '请求发送超时，请重试。',
    unsupported_media_type: '请求格式不受支持。',
    unauthorized: '你尚未登录，或会话已过期。',
    forbidden: '你无权执行此操作。',
    registration_closed: '此服务器已关闭注册。',
    invalid_credentials: '邮箱或密码错误。',
    not_a_session: '此操作需要登录会话。',
    not_found: '该对话或智能体不存在。',
    method_not_allowed: '服务器不允许此操作。',
    email_taken: '该邮箱已被注册。',
    conflict: '与当前状态冲突。',
    invalid_transition: '智能体在当前状态下无法执行此操作。',
    agent_not_running: '智能体当前离线。',
    agent_deleted: '该智能体已被删除。',
    conversation_busy: '智能体仍在处理上一条消息。',
    conversation_not_running: '当前没有正在运行的任务。',
    not_awaiting_confirmation: '没有等待批准的步骤。',
    snapshot_unavailable: '该步骤的文件已不再保留，无法从此处分叉。',
    llm_not_configured: '该智能体未配置语言模型。',
    secret_exists: '该密钥已存在。',
    idempotency_key_reused: '此请求已用不同内容发送过。',
    idempotency_key_in_progress: '此请求仍在处理中。',
    rate_limited: '请求过于频繁，请稍候。',
    origin_required: '此页面未说明其来源（缺少 Origin）。',
    origin_not_allowed: '此聊天不允许在本网站上使用。',
    invalid_publishable_key: '此聊天的密钥无效（可能已被轮换或撤销）。',
    embed_disabled: '此助手目前无法在网站上使用。',
    token_stale: '此聊天的设置已更改，请刷新页面后继续。',
    internal_error: '服务器出现问题。',
    llm_retry: '语言模型出错，正在重试。',
    llm_context_condensed: '对话过长，较早的输出已被压缩。',
    text_tool_call: '模型以文本形式写出了工具调用，已照常执行。',
    interrupted: '运行被中断（服务器已重启）。',
    max_iterations: '智能体已达到步数上限。',
    stuck: '智能体陷入重复，已被停止。',
    llm_auth: '语言模型拒绝了智能体的凭据。',
    llm_error: '语言模型出错。',
    llm_timeout: '语言模型未能及时响应。',
    llm_context_length: '对话内容超出了语言模型的长度限制。',
    sandbox_error: '智能体的工作环境出错。',
    repository_not_found: '找不到该代码仓库。',
    repository_auth_failed: '代码仓库拒绝访问：请检查令牌。',
    repository_unreachable: '无法连接代码仓库的服务器。',
    repository_ref_not_found: '代码仓库中没有该分支或标签。',
    repository_too_large: '代码仓库超出了此服务器的克隆上限。',
    missing_server: '未设置服务器：请设置 server 属性。',
    missing_credentials: '缺少凭据：请提供 token、tokenProvider 或 publishable key。',
    visitor_session_failed: '此聊天无法在本网站启动：服务器无法访问，或不允许本网站使用。',
    api_key_refused: 'API 密钥（metis_…）不能用在网页中：请使用会话令牌。',
    agent_offline: '智能体当前离线。',
    file_too_large: '文件超过了服务器允许的大小。',
    too_many_attachments: '每条消息最多添加 20 个文件。',
    connection_error: '无法连接服务器。',
    timeout: '服务器响应超时。',
    invalid_response: '服务器返回了无法识别的响应。',
    aborted: '请求已取消。',
    unknown_error: '出现了问题。',
  },
};

/** The message catalogs, by language. */
export const CATALOGS = { en, zh } as const;
export type Language = keyof typeof CATALOGS;
export const LANGUAGES = Object.keys(CATALOGS) as Language[];

/** `auto` follows the browser (`navigator.languages`): Chinese for `zh*`, else English. */
export function resolveLanguage(locale: string | null | undefined, preferred: readonly string[] = globalThis.navigator?.languages ?? []): Language {
  const wanted = !locale || locale === 'auto' ? preferred : [locale];
  for (const tag of wanted) {
    const base = tag.toLowerCase().split('-')[0];
    if (base && base in CATALOGS) return base as Language;
  }
  return 'en';
}

/** The sentence for an error code; an unknown code (a newer server's) gets the generic one. */
export function errorText(catalog: Catalog, code: string): string {
  return (catalog.errors as Record<string, string>)[code] ?? catalog.errors.unknown_error;
}
