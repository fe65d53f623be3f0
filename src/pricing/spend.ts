/**
 * The cost of a finished request, computed once per record and shared by the plugins that need it
 * (metrics, request log, access log) through a WeakMap keyed by the record.
 */
import type { Usage } from '../core/response.js';
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
    if (record.modelCalls) return this.sum(record);
    return this.priced(record.usage, record.provider, record.providerType, record.upstreamModel);
  }

  private priced(usage: Usage | undefined, provider: string | undefined, providerType: string | undefined, model: string | undefined): Spend {
    if (!usage || (usage.inputTokens === 0 && usage.outputTokens === 0) || !provider || !model) return FREE;
    const price = this.table.lookup({ provider, providerType: providerType ?? '', model });
    if (!price) return { costUsd: 0, priced: false };
    return { costUsd: costOf(price, usage), priced: true };
  }

  /** Several model calls (the MCP loop): each at its own target's price (the record's when a call has none). */
  private sum(record: RequestRecord): Spend {
    let costUsd = 0;
    let priced = true;
    for (const c of record.modelCalls!) {
      const t = c.provider ? c : record;
      const s = this.priced(c.usage, t.provider, t.providerType, t.upstreamModel);
      costUsd += s.costUsd;
      priced &&= s.priced;
    }
    return { costUsd, priced };
  }
}
