import { ledgerBalance } from '../domain/credits';
import { newId } from '../domain/ids';
import { eventPut } from '../events/events';
import type { TransactItem } from '../store/dynamo';
import { WALL_CLOCK } from '../store/keys';
import { objectItem, type ObjectStore } from '../store/objects';
import { monetary, movementOf, type CreditBalanceTransaction, type CreditGrant, type CreditType, type DebitType, type StoredGrant } from './model';

/** A ledger entry to post: a credit or debit of `amount` at `at`, optionally tied to an invoice line. */
export interface EntryInput {
  type: CreditType | DebitType;
  amount: number;
  at: number;
  line?: { invoice: string; invoice_line_item: string };
}

const CREDIT_TYPES: readonly string[] = ['credits_granted', 'credits_application_invoice_voided'] satisfies CreditType[];

/**
 * What else a transaction that changes a customer's grants must write (the customer's credit
 * balance alerts, checked against the balance the change leaves): plugged in by the composition
 * root, so that the ledger depends on no capability above it.
 */
export interface LedgerContributor {
  writes(customer: string, changed: readonly StoredGrant[], at: number, loadGrants: () => Promise<StoredGrant[]>): Promise<TransactItem[]>;
}

/**
 * The credit ledger in the main table. A grant item holds the grant, what is left of it and a
 * version; every change to a grant is posted as append-only ledger entries (credit balance
 * transactions) in the same transaction as the grant, conditioned on the version read. So a
 * grant's `remaining` is always the sum of its ledger, and two invoices finalizing at once can
 * never spend more than the grant holds: the second transaction fails and is re-planned.
 */
export class CreditLedger {
  constructor(
    readonly objects: ObjectStore,
    private readonly nowMs: () => number,
    private readonly contributor?: LedgerContributor,
  ) {}

  /**
   * The writes every transaction that posts to a customer's grants carries once, besides the
   * posts: what the contributor adds (the customer's credit balance alerts, checked against the
   * balance the change leaves at `at`; `changed`: the grants as the posts write them).
   */
  async alertWrites(customer: string, changed: readonly StoredGrant[], at: number): Promise<TransactItem[]> {
    return (await this.contributor?.writes(customer, changed, at, () => this.grantsOf(customer))) ?? [];
  }

  get tableName(): string {
    return this.objects.tableName;
  }

  async getGrant(id: string, consistent = true): Promise<StoredGrant | undefined> {
    const item = await this.objects.getItem(this.objects.keys.object('credit_grant', id), consistent);
    return item ? storedGrantOf(item) : undefined;
  }

  /**
   * Every grant of a customer, read consistently: the customer's grant directory, then one
   * BatchGetItem per 100 grants. Not the byOwner index, which can lag behind a grant created a
   * moment ago: a balance computed without it could fire a credit alert or skip credits.
   */
  async grantsOf(customer: string): Promise<StoredGrant[]> {
    const directory = await this.objects.getItem(this.objects.keys.customerCreditGrants(customer), true);
    const ids = [...new Set(directory?.grants as Set<string> | undefined)];
    const items = await this.objects.getItems(ids.map((id) => this.objects.keys.object('credit_grant', id)), true);
    return items.map(storedGrantOf).sort((a, b) => (a.grant.id < b.grant.id ? -1 : 1));
  }

  async entries(ids: readonly string[]): Promise<CreditBalanceTransaction[]> {
    return this.objects.getMany<CreditBalanceTransaction>('credit_balance_transaction', ids);
  }

  /**
   * The writes that post `inputs` to a grant: the grant (replaced by `grant` when given) with
   * its new remaining value, written on condition that its version is still the one read (a new
   * grant: that it does not exist), each entry, and each entry's
   * `billing.credit_balance_transaction.created` event. Returns the grant as written and the entries.
   */
  post(
    stored: StoredGrant,
    inputs: readonly EntryInput[],
    options: { grant?: CreditGrant; expired?: boolean; isNew?: boolean; eventAt?: number } = {},
  ): { stored: StoredGrant; entries: CreditBalanceTransaction[]; writes: TransactItem[] } {
    const grant = options.grant ?? stored.grant;
    const entries = inputs.map((input) => this.entry(grant, input));
    const remaining = stored.remaining + ledgerBalance(entries.map(movementOf));
    if (remaining < 0) throw new Error(`Grant ${grant.id} would go below zero (${remaining}).`);
    const next: StoredGrant = { grant, remaining, version: stored.version + 1, expired: options.expired ?? stored.expired };
    const writes: TransactItem[] = [this.grantPut(next, options.isNew ? null : stored.version)];
    if (options.isNew) writes.push(this.directoryAdd(grant));
    for (const entry of entries) {
      writes.push(
        { Put: { TableName: this.tableName, Item: entryItem(entry, grant.customer), ConditionExpression: 'attribute_not_exists(pk)' } },
        eventPut(this.tableName, { type: 'billing.credit_balance_transaction.created', object: entry, created: entry.created, nowMs: this.nowMs() }),
      );
    }
    return { stored: next, entries, writes };
  }

  private entry(grant: CreditGrant, input: EntryInput): CreditBalanceTransaction {
    const amount = monetary(grant.amount.monetary.currency, input.amount);
    const isCredit = CREDIT_TYPES.includes(input.type);
    const line = input.line ?? null;
    return {
      id: newId('creditBalanceTransaction', this.nowMs()),
      object: 'billing.credit_balance_transaction',
      created: input.at,
      credit: isCredit
        ? { amount, credits_application_invoice_voided: input.type === 'credits_application_invoice_voided' ? line : null, type: input.type as CreditType }
        : null,
      credit_grant: grant.id,
      debit: isCredit ? null : { amount, credits_applied: input.type === 'credits_applied' ? line : null, type: input.type as DebitType },
      // Granted credits count from the grant's effective time; every other entry from when it happened.
      effective_at: input.type === 'credits_granted' ? grant.effective_at : input.at,
      livemode: grant.livemode,
      test_clock: grant.test_clock,
      type: isCredit ? 'credit' : 'debit',
    };
  }

  /** Adds a new grant to its customer's grant directory (what grantsOf reads). */
  private directoryAdd(grant: CreditGrant): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: this.objects.keys.customerCreditGrants(grant.customer),
        UpdateExpression: 'ADD grants :id',
        ExpressionAttributeValues: { ':id': new Set([grant.id]) },
      },
    };
  }

  /**
   * The grant item: listed by customer, and in the due index (of its customer's clock) while an
   * expiry is still to be posted, so that the billing scheduler posts it when it comes.
   */
  private grantPut(stored: StoredGrant, expected: number | null): TransactItem {
    const { grant } = stored;
    const expiryDue = grant.expires_at !== null && !stored.expired && grant.voided_at === null;
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...objectItem('credit_grant', grant, undefined, grant.customer),
          ...(expiryDue ? this.objects.keys.due(grant.test_clock ?? WALL_CLOCK, grant.expires_at!, grant.id) : {}),
          remaining: stored.remaining,
          version: stored.version,
          expired: stored.expired,
        },
        ConditionExpression: expected === null ? 'attribute_not_exists(pk)' : 'version = :v',
        ExpressionAttributeValues: expected === null ? undefined : { ':v': expected },
      },
    };
  }
}

function storedGrantOf(item: Record<string, unknown>): StoredGrant {
  return { grant: item.object as CreditGrant, remaining: Number(item.remaining), version: Number(item.version), expired: item.expired === true };
}

/** A ledger entry's item: listed by customer and by grant. */
function entryItem(entry: CreditBalanceTransaction, customer: string) {
  return objectItem('credit_balance_transaction', entry, { name: 'credit_grant', value: entry.credit_grant }, customer);
}
