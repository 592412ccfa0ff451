import type { RequestOptions } from '../core/request-options.ts';
import { UsageListSchema, type UsageList, type UsageListParams } from '../schemas/usage.ts';
import { APIResource } from './resource.ts';

/** `/api/v1/usage`: the tokens your conversations' LLM calls used. */
export class Usage extends APIResource {
  /**
   * Usage per day over the last `days` days (default 14, today included), every day listed, in the time zone `tz`
   * (default UTC) (`GET /usage`).
   */
  list(params: UsageListParams = {}, options?: RequestOptions): Promise<UsageList> {
    return this.client.get('/usage', UsageListSchema, { ...options, query: { days: params.days as number | undefined, tz: params.tz } });
  }
}
