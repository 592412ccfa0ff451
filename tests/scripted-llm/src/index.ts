export { startScriptedLlm, type RecordedRequest, type ScriptedLlm, type ScriptedLlmOptions } from './start-scripted-llm.ts';
export type { Script, ScriptFunction } from './script.ts';
export { assertTurn } from './turn.ts';
export type {
  ContextLengthTurn,
  ErrorSpec,
  ErrorTurn,
  FinishReason,
  HangTurn,
  StreamPause,
  TextTurn,
  ToolCallSpec,
  ToolCallsTurn,
  Turn,
  TurnTiming,
  TurnUsage,
} from './turn.ts';
export { turns } from './turns.ts';
export { parseScriptJson } from './parse-script-json.ts';
export type { ChatContentPart, ChatMessage, ChatRequest, ChatToolCall } from './chat-request.ts';
export { countTokens } from './usage.ts';
