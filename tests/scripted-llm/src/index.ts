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
  TurnRules,
  TurnUsage,
  WireTurn,
} from './turn.ts';
export type { WireItem, WireSpec } from './wire.ts';
export { REQUEST_RULES, type RequestRule } from './request-rules.ts';
export { FIXTURES_DIR, listFixtures, loadFixture, type ProviderFixture } from './fixtures.ts';
export { turns } from './turns.ts';
export { parseScriptJson } from './parse-script-json.ts';
export type { ChatContentPart, ChatMessage, ChatRequest, ChatToolCall } from './chat-request.ts';
export { countTokens } from './usage.ts';
