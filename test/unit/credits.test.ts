import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  grantOrder,
  isUsableAt,
  ledgerBalance,
  MAX_APPLICATIONS_PER_INVOICE,
  planCreditApplications,
  scopeCovers,
  type CreditableLine,
  type CreditApplication,
  type GrantTerms,
  type LedgerMovement,
} from '../../lib/domain/credits';

const AT = 1_000;
const PRICES = ['price_a', 'price_b', 'price_c'];

function grant(overrides: Partial<GrantTerms> & Pick<GrantTerms, 'id'>): GrantTerms {
  return {
    currency: 'usd',
    category: 'paid',
    priority: 50,
    effective_at: 0,
    expires_at: null,
    voided_at: null,
    created: 0,
    scope: { price_type: 'metered' },
    remaining: 1000,
    ...overrides,
  };
}

const line = (id: string, amount: number, price = 'price_a', metered = true): CreditableLine => ({ id, price, metered, amount });

const arbGrant = (id: string) =>
  fc.record({
    id: fc.constant(id),
    currency: fc.constantFrom('usd', 'eur'),
    category: fc.constantFrom('paid' as const, 'promotional' as const),
    priority: fc.integer({ min: 0, max: 100 }),
    effective_at: fc.integer({ min: 0, max: 2 * AT }),
    expires_at: fc.option(fc.integer({ min: 1, max: 3 * AT }), { nil: null }),
    voided_at: fc.option(fc.integer({ min: 0, max: 2 * AT }), { nil: null }),
    created: fc.integer({ min: 0, max: 2 * AT }),
    scope: fc.oneof(
      fc.constant({ price_type: 'metered' as const }),
      fc.subarray(PRICES, { minLength: 1 }).map((ids) => ({ prices: ids.map((id) => ({ id })) })),
    ),
    remaining: fc.integer({ min: 0, max: 5_000 }),
  });

const arbGrants = fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbGrant(`credgr_${i}`))));
const arbLines = fc.array(
  fc.record({ price: fc.constantFrom(...PRICES), metered: fc.boolean(), amount: fc.integer({ min: -100, max: 5_000 }) }),
  { maxLength: 6 },
).map((lines) => lines.map((l, i) => ({ id: `il_${i}`, ...l })));

const sumBy = (applications: CreditApplication[], key: 'grant' | 'line', id: string) =>
  applications.filter((a) => a[key] === id).reduce((sum, a) => sum + a.amount, 0);

describe('credit application (property)', () => {
  it('never spends more than a grant has left, never pays more than a line owes, and pays only metered lines the scope covers with usable grants', () => {
    fc.assert(
      fc.property(arbGrants, arbLines, fc.constantFrom('usd', 'eur'), (grants, lines, currency) => {
        const applications = planCreditApplications(lines, grants, currency, AT);
        for (const g of grants) expect(sumBy(applications, 'grant', g.id)).toBeLessThanOrEqual(g.remaining);
        for (const l of lines) expect(sumBy(applications, 'line', l.id)).toBeLessThanOrEqual(Math.max(0, l.metered ? l.amount : 0));
        for (const a of applications) {
          const g = grants.find((x) => x.id === a.grant)!;
          const l = lines.find((x) => x.id === a.line)!;
          expect(a.amount).toBeGreaterThan(0);
          expect(l.metered && scopeCovers(g.scope, l.price) && isUsableAt(g, AT) && g.currency === currency).toBe(true);
        }
        expect(applications.length).toBeLessThanOrEqual(MAX_APPLICATIONS_PER_INVOICE);
      }),
    );
  });

  it('follows the priority order: a grant pays a line only once every grant before it that could pay the line is spent, or the line is paid', () => {
    fc.assert(
      fc.property(arbGrants, arbLines, (grants, lines) => {
        const applications = planCreditApplications(lines, grants, 'usd', AT, Infinity);
        const usable = grants.filter((g) => g.currency === 'usd' && g.remaining > 0 && isUsableAt(g, AT));
        for (const a of applications) {
          const g = grants.find((x) => x.id === a.grant)!;
          const l = lines.find((x) => x.id === a.line)!;
          for (const earlier of usable.filter((e) => grantOrder(e, g) < 0 && scopeCovers(e.scope, l.price))) {
            // An earlier grant with credit left must already have paid this line, before this grant did.
            if (sumBy(applications, 'grant', earlier.id) === earlier.remaining) continue;
            const before = applications.findIndex((x) => x.grant === earlier.id && x.line === l.id);
            expect(before).toBeGreaterThanOrEqual(0);
            expect(before).toBeLessThan(applications.indexOf(a));
          }
        }
      }),
    );
  });

  it('spends as much as it can: what stays owed on a line could not have been paid by any usable grant covering it', () => {
    fc.assert(
      fc.property(arbGrants, arbLines, (grants, lines) => {
        const applications = planCreditApplications(lines, grants, 'usd', AT, Infinity);
        for (const l of lines.filter((x) => x.metered && x.amount > 0)) {
          if (sumBy(applications, 'line', l.id) === l.amount) continue;
          for (const g of grants.filter((x) => x.currency === 'usd' && isUsableAt(x, AT) && scopeCovers(x.scope, l.price))) {
            expect(sumBy(applications, 'grant', g.id)).toBe(g.remaining);
          }
        }
      }),
    );
  });

  it('keeps every balance equal to its ledger: granted minus applied is what the grant has left', () => {
    fc.assert(
      fc.property(arbGrants, fc.array(arbLines, { maxLength: 4 }), (grants, invoices) => {
        // Each grant's ledger starts with its grant; each invoice finalizes in turn, spending what is left.
        const ledgers = new Map<string, LedgerMovement[]>(grants.map((g) => [g.id, [{ type: 'credit', amount: g.remaining }]]));
        let current = grants;
        for (const lines of invoices) {
          const applications = planCreditApplications(lines, current, 'usd', AT);
          for (const a of applications) ledgers.get(a.grant)!.push({ type: 'debit', amount: a.amount });
          current = current.map((g) => ({ ...g, remaining: g.remaining - sumBy(applications, 'grant', g.id) }));
        }
        for (const g of current) {
          expect(g.remaining).toBeGreaterThanOrEqual(0);
          expect(ledgerBalance(ledgers.get(g.id)!)).toBe(g.remaining);
        }
      }),
    );
  });
});

describe('credit application (examples)', () => {
  it('orders grants by priority, then expiry (none last), then promotional first, then effective time, then creation', () => {
    const ordered = [
      grant({ id: 'a', priority: 0, expires_at: 9_000 }),
      grant({ id: 'b', priority: 10, expires_at: 2_000 }),
      grant({ id: 'c', priority: 10, expires_at: 3_000, category: 'promotional' }),
      grant({ id: 'd', priority: 10, expires_at: 3_000, category: 'paid', effective_at: 5 }),
      grant({ id: 'e', priority: 10, expires_at: 3_000, category: 'paid', effective_at: 6, created: 1 }),
      grant({ id: 'f', priority: 10, expires_at: 3_000, category: 'paid', effective_at: 6, created: 2 }),
      grant({ id: 'g', priority: 10, expires_at: null }),
    ];
    expect([...ordered].reverse().sort(grantOrder).map((g) => g.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('pays metered lines in line order, grant by grant, and never licensed lines', () => {
    const grants = [grant({ id: 'paid', remaining: 1000 }), grant({ id: 'promo', priority: 5, category: 'promotional', remaining: 300 })];
    const lines = [line('fee', 2000, 'price_fee', false), line('input', 600), line('output', 900, 'price_b')];
    expect(planCreditApplications(lines, grants, 'usd', AT)).toEqual([
      { grant: 'promo', line: 'input', amount: 300 },
      { grant: 'paid', line: 'input', amount: 300 },
      { grant: 'paid', line: 'output', amount: 700 },
    ]);
  });

  it('skips grants not yet effective, expired by the finalization time, voided, or in another currency', () => {
    const grants = [
      grant({ id: 'future', effective_at: AT + 1 }),
      grant({ id: 'expired', expires_at: AT }),
      grant({ id: 'voided', voided_at: 10 }),
      grant({ id: 'euro', currency: 'eur' }),
      grant({ id: 'scoped', scope: { prices: [{ id: 'price_b' }] } }),
    ];
    expect(planCreditApplications([line('il_1', 500)], grants, 'usd', AT)).toEqual([]);
  });

  it(`stops after ${MAX_APPLICATIONS_PER_INVOICE} applications, leaving the rest due`, () => {
    const grants = Array.from({ length: 20 }, (_, i) => grant({ id: `g${String(i).padStart(2, '0')}`, remaining: 1 }));
    const applications = planCreditApplications([line('il_1', 100)], grants, 'usd', AT);
    expect(applications).toHaveLength(MAX_APPLICATIONS_PER_INVOICE);
    expect(applications.every((a) => a.amount === 1)).toBe(true);
  });
});
