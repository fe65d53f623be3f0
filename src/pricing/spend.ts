/**
 * The cost of a finished request, computed once per record and shared by the plugins that need it
 * (metrics, request log, access log) through a WeakMap keyed by the record.
 */
import type { RequestRecord } from '../plugins/plugin.js';
import { costOf, PriceTable } from './price-table.js';

export interface Spend {
  costUsd: number;
  /** False when tokens were used but the model has no price (cost 0, counted as unpriced). */
  priced: boolean;
}

const FREE: Spend = { costUsd: 0, priced: true };

export class SpendCalculator {
  private readonly memo = new WeakMap<RequestRecord, Spend>();

  constructor(readonly table: PriceTable) {}

  of(record: RequestRecord): Spend {
    let spend = this.memo.get(record);
    if (!spend) {
      spend = this.compute(record);
      this.memo.set(record, spend);
    }
    return spend;
  }

  private compute(record: RequestRecord): Spend {
    const usage = record.usage;
    if (!usage || (usage.inputTokens === 0 && usage.outputTokens === 0) || !record.provider || !record.upstreamModel) return FREE;
    const price = this.table.lookup({ provider: record.provider, providerType: record.providerType ?? '', model: record.upstreamModel });
    if (!price) return { costUsd: 0, priced: false };
    return { costUsd: costOf(price, usage), priced: true };
  }
}
