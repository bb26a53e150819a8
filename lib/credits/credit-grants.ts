import { InvalidRequestError, NotFoundError } from '../errors';
import { retryLostRaces } from '../domain/concurrency';
import { newId } from '../domain/ids';
import type { CreditScope } from '../domain/credits';
import { applyMetadata } from '../metadata';
import { eventPut, previousAttributes } from '../events/events';
import type { Customers } from '../customers/customers';
import type { Prices } from '../catalog/prices';
import { isMetered } from '../catalog/prices';
import type { TestClocks } from '../clocks/test-clocks';
import type { TransactItem } from '../store/dynamo';
import type { ListPage } from '../store/objects';
import type { CreditLedger, EntryInput } from './ledger';
import {
  monetary,
  type CreateCreditGrantCommand,
  type CreditBalanceTransaction,
  type CreditGrant,
  type ListCreditBalanceTransactionsCommand,
  type ListCreditGrantsCommand,
  type ScopeCommand,
  type StoredGrant,
  type UpdateCreditGrantCommand,
} from './model';

export interface CreditGrantDeps {
  ledger: CreditLedger;
  customers: Customers;
  prices: Prices;
  clocks: TestClocks;
  /** Brings the customer's subscriptions up to `until`, so that invoices finalizing before a grant changes still see it as it was. */
  settle(customer: string, until: number): Promise<void>;
  nowMs: () => number;
}

const MAX_SCOPE_PRICES = 20;
/** Attempts of a grant change that keeps losing races with invoices spending the grant. */
const ATTEMPTS = 5;

/**
 * Credit grants (/v1/billing/credit_grants): prepaid or promotional credits a customer's metered
 * invoices spend at finalization. Creating a grant posts `credits_granted`; expiring or voiding
 * it posts what was left as `credits_expired` or `credits_voided`. Customers on a test clock get
 * grants at the clock's time.
 */
export class CreditGrants {
  constructor(private readonly deps: CreditGrantDeps) {}

  /** POST /v1/billing/credit_grants: posts `credits_granted` at the customer's time. */
  async create(command: CreateCreditGrantCommand, requestNow: number, livemode: boolean): Promise<CreditGrant> {
    const customer = await this.deps.customers.retrieve(command.customer, 'customer');
    const { currency, value } = command.amount.monetary;
    const scope = await this.scopeOf(command.applicability_config.scope, currency);
    const category = command.category ?? 'paid';
    const priority = command.priority ?? 50;
    const name = command.name ?? null;
    const effectiveParam = command.effective_at;
    const expiresAt = command.expires_at ?? null;
    const metadata = applyMetadata({}, command.metadata);

    const now = await this.deps.clocks.timeOf(customer.test_clock, requestNow);
    const effectiveAt = effectiveParam ?? now;
    checkExpiry(expiresAt, effectiveAt, now);
    const grant: CreditGrant = {
      id: newId('creditGrant', this.deps.nowMs()),
      object: 'billing.credit_grant',
      amount: monetary(currency, value),
      applicability_config: { scope },
      category,
      created: now,
      customer: customer.id,
      customer_account: null,
      effective_at: effectiveAt,
      expires_at: expiresAt,
      livemode,
      metadata,
      name,
      priority,
      test_clock: customer.test_clock,
      updated: now,
      voided_at: null,
    };
    const empty: StoredGrant = { grant, remaining: 0, version: 0, expired: false };
    // Retried only when the customer's credit alerts changed meanwhile (the grant itself is new).
    return retryLostRaces(ATTEMPTS, async () => {
      const { stored, writes } = this.deps.ledger.post(empty, [{ type: 'credits_granted', amount: value, at: now }], { isNew: true });
      const alerts = await this.deps.ledger.alertWrites(customer.id, [stored], now);
      return (await this.deps.ledger.objects.transact([...writes, ...alerts, this.event('billing.credit_grant.created', grant, now)])) ? grant : undefined;
    }, () => new InvalidRequestError(`The credit alerts of ${customer.id} kept changing while this request ran; retry.`, undefined, 'lock_timeout'));
  }

  async retrieve(id: string, param = 'id'): Promise<CreditGrant> {
    return (await this.load(id, param)).grant;
  }

  /** Changes `expires_at` (empty: never expires) and `metadata`. */
  async update(id: string, { expires_at: expiresAt, metadata }: UpdateCreditGrantCommand, requestNow: number): Promise<CreditGrant> {
    return this.change(id, requestNow, 'update', (stored, now) => {
      if (expiresAt !== undefined) checkExpiry(expiresAt, stored.grant.effective_at, now);
      return {
        grant: {
          ...stored.grant,
          ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
          metadata: applyMetadata(stored.grant.metadata, metadata),
        },
        entries: [],
      };
    });
  }

  /** Expires the grant now: what is left of it is posted as `credits_expired`. */
  async expire(id: string, requestNow: number): Promise<CreditGrant> {
    return this.change(id, requestNow, 'expire', (stored, now) => ({
      grant: { ...stored.grant, expires_at: now },
      entries: stored.remaining > 0 ? [{ type: 'credits_expired', amount: stored.remaining, at: now }] : [],
      expired: true,
    }));
  }

  /** Voids the grant now: what is left of it is posted as `credits_voided`. */
  async void(id: string, requestNow: number): Promise<CreditGrant> {
    return this.change(id, requestNow, 'void', (stored, now) => ({
      grant: { ...stored.grant, voided_at: now },
      entries: stored.remaining > 0 ? [{ type: 'credits_voided', amount: stored.remaining, at: now }] : [],
    }));
  }

  /** GET /v1/billing/credit_grants: newest first, optionally a customer's (which must exist). */
  async list({ page, customer }: ListCreditGrantsCommand): Promise<ListPage<CreditGrant>> {
    if (customer) await this.deps.customers.retrieve(customer, 'customer');
    return this.deps.ledger.objects.list<CreditGrant>('credit_grant', { ...page, owner: customer });
  }

  /** GET /v1/billing/credit_balance_transactions/:id. */
  retrieveTransaction(id: string): Promise<CreditBalanceTransaction> {
    return this.deps.ledger.objects.require<CreditBalanceTransaction>('credit_balance_transaction', id, 'billing.credit_balance_transaction');
  }

  /** GET /v1/billing/credit_balance_transactions: a customer's ledger, newest first, optionally one grant's. */
  async listTransactions({ page, customer, credit_grant: grant }: ListCreditBalanceTransactionsCommand): Promise<ListPage<CreditBalanceTransaction>> {
    await this.deps.customers.retrieve(customer, 'customer');
    if (grant && !(await this.deps.ledger.objects.get('credit_grant', grant))) throw new NotFoundError('billing.credit_grant', grant, 'credit_grant');
    return this.deps.ledger.objects.list<CreditBalanceTransaction>('credit_balance_transaction', {
      ...page,
      owner: customer,
      filter: grant ? { name: 'credit_grant', value: grant } : undefined,
    });
  }

  private async load(id: string, param = 'id'): Promise<StoredGrant> {
    const stored = await this.deps.ledger.getGrant(id);
    if (!stored) throw new NotFoundError('billing.credit_grant', id, param);
    return stored;
  }

  /**
   * Changes a grant that is neither voided nor expired, at its customer's time, after settling
   * the customer's billing up to that time; records `billing.credit_grant.updated` with the
   * attributes the change replaced. Retried when an invoice spends the grant meanwhile.
   */
  private async change(
    id: string,
    requestNow: number,
    action: string,
    changeOf: (stored: StoredGrant, now: number) => { grant: CreditGrant; entries: EntryInput[]; expired?: boolean },
  ): Promise<CreditGrant> {
    const first = await this.load(id);
    const now = await this.deps.clocks.timeOf(first.grant.test_clock, requestNow);
    checkEditable(first, now, action);
    // Invoices due to finalize before now still see the grant as it was.
    await this.deps.settle(first.grant.customer, now);
    const lockTimeout = () => new InvalidRequestError(`Credit grant ${id} kept changing while this request ran; retry.`, undefined, 'lock_timeout');
    return retryLostRaces(ATTEMPTS, async () => {
      const stored = await this.load(id);
      checkEditable(stored, now, action);
      const change = changeOf(stored, now);
      const grant: CreditGrant = { ...change.grant, updated: now };
      const current = stored.grant;
      const previous = previousAttributes(current, grant);
      const { stored: posted, writes } = this.deps.ledger.post(stored, change.entries, { grant, expired: change.expired });
      const alerts = await this.deps.ledger.alertWrites(grant.customer, [posted], now);
      return (await this.deps.ledger.objects.transact([...writes, ...alerts, this.event('billing.credit_grant.updated', grant, now, previous)])) ? grant : undefined;
    }, lockTimeout);
  }

  /** The scope: `price_type=metered`, or up to 20 metered prices in the grant's currency (never both). */
  private async scopeOf(scope: ScopeCommand, currency: string): Promise<CreditScope> {
    if ('price_type' in scope) return scope;
    if (!scope.prices.length || scope.prices.length > MAX_SCOPE_PRICES) {
      throw new InvalidRequestError(`prices must list between 1 and ${MAX_SCOPE_PRICES} prices.`, 'applicability_config[scope][prices]');
    }
    const prices: { id: string }[] = [];
    for (const [i, id] of scope.prices.entries()) {
      const param = `applicability_config[scope][prices][${i}][id]`;
      const price = await this.deps.prices.retrieve(id, param);
      if (!isMetered(price)) throw new InvalidRequestError(`Credits only pay metered prices; ${price.id} is licensed.`, param);
      if (price.currency !== currency) {
        throw new InvalidRequestError(`Price ${price.id} is in ${price.currency}, but the grant is in ${currency}.`, param);
      }
      if (!prices.some((p) => p.id === price.id)) prices.push({ id: price.id });
    }
    return { prices };
  }

  private event(type: string, grant: CreditGrant, at: number, previous?: Record<string, unknown>): TransactItem {
    return eventPut(this.deps.ledger.tableName, { type, object: grant, created: at, previous, nowMs: this.deps.nowMs() });
  }
}

/** A grant's expiry must come after it takes effect, and after now. */
function checkExpiry(expiresAt: number | null, effectiveAt: number, now: number): void {
  if (expiresAt !== null && (expiresAt <= effectiveAt || expiresAt <= now)) {
    throw new InvalidRequestError('expires_at must be later than effective_at and than the current time.', 'expires_at');
  }
}

/** Only a grant that is neither voided nor expired (by time or by its ledger) can change. */
function checkEditable(stored: StoredGrant, now: number, action: string): void {
  const { grant } = stored;
  const expired = stored.expired || (grant.expires_at !== null && grant.expires_at <= now);
  if (grant.voided_at !== null || expired) {
    throw new InvalidRequestError(`You cannot ${action} credit grant ${grant.id}: it is ${grant.voided_at !== null ? 'voided' : 'expired'}.`, undefined, 'credit_grant_not_editable');
  }
}
