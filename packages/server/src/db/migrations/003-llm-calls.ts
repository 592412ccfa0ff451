import { Migration } from '@mikro-orm/migrations';

/** Token usage of every LLM call, beside the per-conversation totals. */
export class LlmCalls extends Migration {
  override name = '003-llm-calls';

  override up(): void {
    this.addSql(`
      create table llm_calls (
        id bigint generated always as identity primary key,
        conversation_id uuid not null references conversations (id) on delete cascade,
        model text not null,
        prompt_tokens integer not null,
        completion_tokens integer not null,
        created_at timestamptz not null default now()
      )`);
    this.addSql('create index llm_calls_conversation_idx on llm_calls (conversation_id, id)');
    this.addSql('alter table conversations add column llm_calls integer not null default 0');
  }

  override down(): void {
    this.addSql('alter table conversations drop column if exists llm_calls');
    this.addSql('drop table if exists llm_calls');
  }
}
