import { Migration } from '@mikro-orm/migrations';

/** Users' LLM deadlines (seconds; null → the server's LLM_IDLE_TIMEOUT_SECONDS / LLM_TIMEOUT_SECONDS). */
export class LlmTimeouts extends Migration {
  override name = '004-llm-timeouts';

  override up(): void {
    this.addSql('alter table settings add column llm_idle_timeout_seconds double precision, add column llm_timeout_seconds double precision');
  }

  override down(): void {
    this.addSql('alter table settings drop column if exists llm_idle_timeout_seconds, drop column if exists llm_timeout_seconds');
  }
}
