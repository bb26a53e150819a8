import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dueSort, dueUntil, WALL_CLOCK } from '../store/keys';
import { objectItem, type ObjectStore } from '../store/objects';
import { isConditionFailure, type TransactItem } from '../store/dynamo';
import { period } from '../domain/periods';
import { dueKind } from './jobs';
import type { Invoice, StoredSubscription } from './model';


/** When the subscription next needs the billing worker: its period end while active, or a draft's grace expiry. */
export function dueAt(stored: StoredSubscription): number | undefined {
  const times = stored.billing.drafts.map((draft) => draft.finalize_at);
  if (stored.subscription.status === 'active') times.push(period(stored.billing.cycle, stored.billing.period).end);
  return times.length ? Math.min(...times) : undefined;
}

/**
 * Storage of subscriptions and invoices in the main table. A subscription item carries its API
 * object, its billing state, an optimistic-lock version and, while work is due, its place in the
 * byDue index; every change of billing state is one transaction conditioned on the version.
 */
/** What was invoiced in one UTC month in one currency (Meterline's extension, for the console's home page). */
export interface InvoicedTotal {
  object: 'invoiced_total';
  /** `YYYY-MM`, the UTC month the invoices were finalized in. */
  month: string;
  currency: string;
  /** Sum of the invoices' totals, in the currency's minor unit. */
  total: number;
  /** Sum of what the invoices left due after credits. */
  amount_due: number;
  invoice_count: number;
}

/** `YYYY-MM` of a Unix time, in UTC. */
export function utcMonth(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 7);
}

export class BillingStore {
  constructor(readonly objects: ObjectStore) {}

  get tableName(): string {
    return this.objects.tableName;
  }

  async getSubscription(id: string): Promise<StoredSubscription | undefined> {
    const item = await this.objects.getItem(this.objects.keys.object('subscription', id), true);
    if (!item?.billing) return undefined;
    return { subscription: item.object, billing: item.billing, version: Number(item.version) } as StoredSubscription;
  }

  /** Writes the subscription if its stored version is still `expected` (null: it must not exist yet); bumps the version. */
  subscriptionPut(stored: StoredSubscription, expected: number | null): TransactItem {
    const { subscription, billing } = stored;
    const due = dueAt(stored);
    const item = {
      ...objectItem('subscription', subscription, { name: 'status', value: subscription.status }, subscription.customer),
      ...(due === undefined ? {} : this.objects.keys.due(billing.clock, due, subscription.id)),
      billing,
      version: (expected ?? 0) + 1,
    };
    return {
      Put: {
        TableName: this.tableName,
        Item: item,
        ConditionExpression: expected === null ? 'attribute_not_exists(pk)' : 'version = :v',
        ExpressionAttributeValues: expected === null ? undefined : { ':v': expected },
      },
    };
  }

  /**
   * Pushes the due time of failing work (a subscription, or a credit grant's expiry) to `now` + a backoff that doubles per failure (one
   * minute up to a day). Conditioned on the version read, so it never delays work a successful
   * step has just rescheduled; any successful write replaces the item and forgets the failures.
   */
  async deferDue(id: string, now: number): Promise<void> {
    const key = this.objects.keys.object(dueKind(id) ?? 'subscription', id);
    const { Item } = await this.objects.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ProjectionExpression: 'version, failures, due_pk' }),
    );
    if (!Item?.due_pk) return;
    const failures = Number(Item.failures ?? 0) + 1;
    const delay = Math.min(60 * 2 ** (failures - 1), 86_400);
    try {
      await this.objects.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET due_sk = :sk, failures = :f',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':sk': dueSort(now + delay, id), ':f': failures, ':v': Item.version },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  getInvoice(id: string, consistent = false): Promise<Invoice | undefined> {
    return this.objects.get<Invoice>('invoice', id, consistent);
  }

  /** Writes an invoice: a new one, or a replacement while its status is still `expectedStatus`. */
  invoicePut(invoice: Invoice, expectedStatus: Invoice['status'] | null): TransactItem {
    const filter = invoice.subscription ? { name: 'subscription', value: invoice.subscription } : undefined;
    return {
      Put: {
        TableName: this.tableName,
        Item: objectItem('invoice', invoice, filter, invoice.customer),
        ConditionExpression: expectedStatus === null ? 'attribute_not_exists(pk)' : '#o.#s = :s',
        ExpressionAttributeNames: expectedStatus === null ? undefined : { '#o': 'object', '#s': 'status' },
        ExpressionAttributeValues: expectedStatus === null ? undefined : { ':s': expectedStatus },
      },
    };
  }

  /** Claims the one invoice a subscription gets at boundary `at`: a second claim fails the transaction. */
  invoiceClaim(subscriptionId: string, at: number, invoiceId: string): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...this.objects.keys.invoicePeriod(subscriptionId, at), invoice: invoiceId },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /**
   * Adds a finalized invoice to (`sign` 1), or takes a voided one back from (`sign` -1), the
   * counters of what was invoiced in the UTC month it was finalized, in its currency. The counters
   * are sharded by invoice id, so finalizing many invoices at once does not contend on one item.
   */
  invoicedTotalUpdate(invoice: Invoice, sign: 1 | -1): TransactItem {
    const finalizedAt = invoice.status_transitions.finalized_at ?? invoice.created;
    return {
      Update: {
        TableName: this.tableName,
        Key: this.objects.keys.invoicedTotal(utcMonth(finalizedAt), invoice.currency, invoice.id),
        UpdateExpression: 'ADD #t :t, #d :d, #n :n',
        ExpressionAttributeNames: { '#t': 'total', '#d': 'amount_due', '#n': 'invoice_count' },
        ExpressionAttributeValues: { ':t': sign * invoice.total, ':d': sign * invoice.amount_due, ':n': sign },
      },
    };
  }

  /** The sums of the invoiced-total shards of a UTC month (`YYYY-MM`), one per currency, in currency order. */
  async invoicedTotals(month: string): Promise<InvoicedTotal[]> {
    const byCurrency = new Map<string, InvoicedTotal>();
    for (const item of await this.objects.partitionItems(this.objects.keys.invoicedMonthPartition(month))) {
      const currency = String(item.sk).split('#')[0]!;
      const sum = byCurrency.get(currency) ?? { object: 'invoiced_total', month, currency, total: 0, amount_due: 0, invoice_count: 0 };
      sum.total += Number(item.total ?? 0);
      sum.amount_due += Number(item.amount_due ?? 0);
      sum.invoice_count += Number(item.invoice_count ?? 0);
      byCurrency.set(currency, sum);
    }
    return [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency));
  }

  transact(items: TransactItem[]): Promise<boolean> {
    return this.objects.transact(items);
  }

  /** Ids of the objects (subscriptions, expiring credit grants) on `clock` with work due at or before `until`, a page at a time (soonest first within a shard). */
  async *dueWork(until: number, clock: string = WALL_CLOCK): AsyncGenerator<string[]> {
    for (const partition of this.objects.keys.duePartitions(clock)) {
      for await (const entries of this.objects.indexEntries('byDue', partition, { range: { op: '<=', value: dueUntil(until) } })) {
        yield entries.map((entry) => String(entry.due_sk).split('#')[1]!);
      }
    }
  }
}
