import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { DAY, expectInvalid, MINUTE } from '../fixtures/stripe';
import {
  advance,
  afterGrace,
  april,
  clockedCustomer,
  GRACE,
  invoicesOf,
  item,
  march,
  may,
  meteredPrice,
  newMeter,
  subscriptionParams,
  usage,
  utc,
} from '../fixtures/billing';
import {
  applied,
  balances,
  creditedLine,
  creditedLines,
  entrySummary,
  eventsAbout,
  expectBalancesAreTheLedger,
  expectedTotals,
  expired,
  grant,
  grantBalance,
  granted,
  ledgerOf,
  ledgerSummaries,
  lineOf,
  llmCustomer,
  monetary,
  nthInvoice,
  onlyPrices,
  restored,
  tokens,
  totals,
  voided,
} from '../fixtures/credits';

describe('billing credits on test clocks', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE });

  /** When the invoice of the period ending at `boundary` finalizes (and credits pay it). */
  const finalizes = (boundary: number) => boundary + GRACE;
  const inMarch = utc(2026, 3, 20);

  describe("the seed's example: 10 USD of credits, 0.03 USD an input token and 0.05 USD an output token", () => {
    it.each([
      { usage: 'below', input: 100, output: 100, credits: [300, 500], left: 200 },
      { usage: 'equal to', input: 200, output: 80, credits: [600, 400], left: 0 },
      { usage: 'above', input: 300, output: 100, credits: [900, 100], left: 0 },
    ])('pays the metered lines of usage $usage the grant, never the licensed fee', async ({ input, output, credits, left }) => {
      const llm = await llmCustomer(stripe, march.start);
      const welcome = await grant(stripe, llm.customer);
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, input, output, inMarch);
      await advance(stripe, llm.clock, afterGrace(april.start));

      const [first, cycle] = await invoicesOf(stripe, llm.subscription);
      // The first invoice bills the fee in advance and no usage yet: nothing for credits to pay.
      expect(totals(first!)).toEqual(expectedTotals(2000, 0));
      expect(first!.total_pretax_credit_amounts).toEqual([]);
      const [inCredit, outCredit] = credits as [number, number];
      const usageAmount = input * 3 + output * 5;
      expect(totals(cycle!)).toEqual(expectedTotals(usageAmount + 2000, inCredit + outCredit));
      expect(await creditedLines(stripe, cycle!)).toEqual([
        creditedLine(llm.input, input * 3, [[welcome, inCredit]]),
        creditedLine(llm.output, output * 5, [[welcome, outCredit]]),
        creditedLine(llm.fee!, 2000),
      ]);
      const [inLine, outLine] = cycle!.lines.data;
      expect(await ledgerSummaries(stripe, llm.customer, welcome)).toEqual([
        granted(1000, march.start),
        applied(inCredit, finalizes(april.start), lineOf(cycle!, inLine!)),
        applied(outCredit, finalizes(april.start), lineOf(cycle!, outLine!)),
      ]);
      expect(await grantBalance(stripe, llm.customer, welcome)).toEqual([['usd', left, left]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it('marks an invoice that credits pay in full as paid when it finalizes', async () => {
      const llm = await llmCustomer(stripe, march.start, { fee: 0 });
      const welcome = await grant(stripe, llm.customer);
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 200, 50, inMarch);
      await advance(stripe, llm.clock, afterGrace(april.start));

      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      expect(totals(cycle)).toEqual(expectedTotals(850, 850));
      expect(cycle).toMatchObject({ amount_paid: 0, status_transitions: { finalized_at: finalizes(april.start), paid_at: finalizes(april.start) } });
      expect(await creditedLines(stripe, cycle)).toEqual([
        creditedLine(llm.input, 600, [[welcome, 600]]),
        creditedLine(llm.output, 250, [[welcome, 250]]),
      ]);
      expect(await eventsAbout(stripe, 'invoice.paid', cycle.id)).toHaveLength(1);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 150, 150]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it('carries what is left of a grant to the next invoices until it is spent', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const welcome = await grant(stripe, llm.customer);
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 100, 100, inMarch);
      await advance(stripe, llm.clock, utc(2026, 4, 11));
      await tokens(stack, llm, 100, 0, utc(2026, 4, 10));
      await advance(stripe, llm.clock, afterGrace(may.start));

      const [, marchInvoice, aprilInvoice] = await invoicesOf(stripe, llm.subscription);
      expect(totals(marchInvoice!)).toEqual(expectedTotals(2800, 800));
      // 200 left of the grant: the 3.00 of April's input tokens are 2.00 short.
      expect(totals(aprilInvoice!)).toEqual(expectedTotals(2300, 200));
      expect(await creditedLines(stripe, aprilInvoice!)).toEqual([
        creditedLine(llm.input, 300, [[welcome, 200]]),
        creditedLine(llm.output, 0),
        creditedLine(llm.fee!, 2000),
      ]);
      expect(await ledgerSummaries(stripe, llm.customer, welcome)).toEqual([
        granted(1000, march.start),
        applied(300, finalizes(april.start), lineOf(marchInvoice!, marchInvoice!.lines.data[0]!)),
        applied(500, finalizes(april.start), lineOf(marchInvoice!, marchInvoice!.lines.data[1]!)),
        applied(200, finalizes(may.start), lineOf(aprilInvoice!, aprilInvoice!.lines.data[0]!)),
      ]);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 0, 0]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });
  });

  describe('which grants pay first', () => {
    it('spends a promotional grant with a higher priority (a lower number) before the paid one', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const paid = await grant(stripe, llm.customer);
      const promotion = await grant(stripe, llm.customer, { name: 'Launch promotion', category: 'promotional', priority: 10, amount: monetary(500) });
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 200, 80, inMarch);
      await advance(stripe, llm.clock, afterGrace(april.start));

      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      expect(totals(cycle)).toEqual(expectedTotals(3000, 1000));
      expect(await creditedLines(stripe, cycle)).toEqual([
        creditedLine(llm.input, 600, [[promotion, 500], [paid, 100]]),
        creditedLine(llm.output, 400, [[paid, 400]]),
        creditedLine(llm.fee!, 2000),
      ]);
      const [inLine, outLine] = cycle.lines.data;
      expect(await ledgerSummaries(stripe, llm.customer, promotion)).toEqual([
        granted(500, march.start),
        applied(500, finalizes(april.start), lineOf(cycle, inLine!)),
      ]);
      expect(await ledgerSummaries(stripe, llm.customer, paid)).toEqual([
        granted(1000, march.start),
        applied(100, finalizes(april.start), lineOf(cycle, inLine!)),
        applied(400, finalizes(april.start), lineOf(cycle, outLine!)),
      ]);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 500, 500]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it('breaks ties of priority by the earliest expiry (none last), then promotional before paid, then the earliest effective_at', async () => {
      const llm = await llmCustomer(stripe, march.start);
      // Created in the reverse of the order they are spent in, so the creation order decides nothing.
      const two = monetary(200);
      const effectiveLater = await grant(stripe, llm.customer, { amount: two, effective_at: march.start + DAY });
      const neverExpires = await grant(stripe, llm.customer, { amount: two });
      const paidJune = await grant(stripe, llm.customer, { amount: two, expires_at: utc(2026, 6, 1) });
      const promotionalJune = await grant(stripe, llm.customer, { amount: two, expires_at: utc(2026, 6, 1), category: 'promotional' });
      const paidMay = await grant(stripe, llm.customer, { amount: two, expires_at: may.start });
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 300, 0, inMarch);
      await advance(stripe, llm.clock, afterGrace(april.start));

      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      expect(totals(cycle)).toEqual(expectedTotals(2900, 900));
      expect(await creditedLines(stripe, cycle)).toEqual([
        creditedLine(llm.input, 900, [
          [paidMay, 200],
          [promotionalJune, 200],
          [paidJune, 200],
          [neverExpires, 200],
          [effectiveLater, 100],
        ]),
        creditedLine(llm.output, 0),
        creditedLine(llm.fee!, 2000),
      ]);
      expect(await ledgerSummaries(stripe, llm.customer, effectiveLater)).toEqual([
        granted(200, march.start + DAY),
        applied(100, finalizes(april.start), lineOf(cycle, cycle.lines.data[0]!)),
      ]);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 100, 100]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it('skips grants that expired before the invoice finalized (even at that very second) and posts their expiry', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const midMarch = await grant(stripe, llm.customer, { name: 'Mid-March', expires_at: inMarch });
      const atFinalization = await grant(stripe, llm.customer, { name: 'At finalization', expires_at: finalizes(april.start) });
      const survivor = await grant(stripe, llm.customer, { name: 'Survivor', amount: monetary(500), expires_at: finalizes(april.start) + 1 });
      await advance(stripe, llm.clock, inMarch + DAY);
      expect(await ledgerSummaries(stripe, llm.customer, midMarch)).toEqual([granted(1000, march.start), expired(1000, inMarch)]);
      expect(await grantBalance(stripe, llm.customer, midMarch)).toEqual([['usd', 0, 0]]);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 1500, 1500]]);
      await tokens(stack, llm, 100, 0, inMarch);
      await advance(stripe, llm.clock, afterGrace(april.start));

      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      expect(totals(cycle)).toEqual(expectedTotals(2300, 300));
      expect(await creditedLines(stripe, cycle)).toEqual([
        creditedLine(llm.input, 300, [[survivor, 300]]),
        creditedLine(llm.output, 0),
        creditedLine(llm.fee!, 2000),
      ]);
      expect(await ledgerSummaries(stripe, llm.customer, atFinalization)).toEqual([
        granted(1000, march.start),
        expired(1000, finalizes(april.start)),
      ]);
      expect(await ledgerSummaries(stripe, llm.customer, survivor)).toEqual([
        granted(500, march.start),
        applied(300, finalizes(april.start), lineOf(cycle, cycle.lines.data[0]!)),
        expired(200, finalizes(april.start) + 1),
      ]);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 0, 0]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it('pays only the lines of the prices a grant is scoped to, and only invoices in its currency', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const outputOnly = await grant(stripe, llm.customer, { applicability_config: { scope: onlyPrices(llm.output) } });
      const euros = await grant(stripe, llm.customer, { amount: monetary(700, 'eur') });
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 100, 100, inMarch);
      await advance(stripe, llm.clock, afterGrace(april.start));

      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      expect(totals(cycle)).toEqual(expectedTotals(2800, 500));
      expect(await creditedLines(stripe, cycle)).toEqual([
        creditedLine(llm.input, 300),
        creditedLine(llm.output, 500, [[outputOnly, 500]]),
        creditedLine(llm.fee!, 2000),
      ]);
      expect(await ledgerSummaries(stripe, llm.customer, euros)).toEqual([granted(700, march.start)]);
      // One balance per currency; a scope filter counts the grants that can pay the prices named.
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 500, 500], ['eur', 700, 700]]);
      const scoped = (price: Stripe.Price) => balances(stripe, llm.customer, { type: 'applicability_scope', applicability_scope: onlyPrices(price) });
      expect(await scoped(llm.input)).toEqual([['eur', 700, 700]]);
      expect(await scoped(llm.output)).toEqual([['usd', 500, 500], ['eur', 700, 700]]);
      await expectBalancesAreTheLedger(stripe, llm.customer, 'usd');
      await expectBalancesAreTheLedger(stripe, llm.customer, 'eur');
    });

    it('uses a grant that takes effect in the future only from its effective_at', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const effectiveAt = finalizes(april.start) + 1;
      const later = await grant(stripe, llm.customer, { effective_at: effectiveAt });
      expect(later).toMatchObject({ created: march.start, effective_at: effectiveAt });
      expect(await grantBalance(stripe, llm.customer, later)).toEqual([['usd', 0, 0]]);
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 100, 0, inMarch);
      await advance(stripe, llm.clock, utc(2026, 4, 11));
      expect(await grantBalance(stripe, llm.customer, later)).toEqual([['usd', 1000, 1000]]);
      await tokens(stack, llm, 100, 0, utc(2026, 4, 10));
      await advance(stripe, llm.clock, afterGrace(may.start));

      const [, marchInvoice, aprilInvoice] = await invoicesOf(stripe, llm.subscription);
      expect(totals(marchInvoice!)).toEqual(expectedTotals(2300, 0));
      expect(marchInvoice!.total_pretax_credit_amounts).toEqual([]);
      expect(totals(aprilInvoice!)).toEqual(expectedTotals(2300, 300));
      expect(await ledgerSummaries(stripe, llm.customer, later)).toEqual([
        granted(1000, effectiveAt),
        applied(300, finalizes(may.start), lineOf(aprilInvoice!, aprilInvoice!.lines.data[0]!)),
      ]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });
  });

  describe('invoices finalizing at once', () => {
    it('never spend more than a grant holds: two subscriptions of one customer share it', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const imageMeter = await newMeter(stripe);
      const images = await meteredPrice(stripe, llm.product.id, imageMeter.id, { unit_amount: 10 });
      const second = await stripe.subscriptions.create(subscriptionParams(llm.customer, [item(images)]));
      const welcome = await grant(stripe, llm.customer);
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 200, 40, inMarch);
      await usage(stack, imageMeter, llm.customer, [['80', inMarch]]);
      // Both invoices finalize at the same second, each wanting 8.00 of the 10.00.
      await advance(stripe, llm.clock, afterGrace(april.start));

      const [tokensInvoice, imagesInvoice] = await Promise.all([nthInvoice(stripe, llm.subscription, 1), nthInvoice(stripe, second, 1)]);
      const credited = [totals(tokensInvoice).credited, totals(imagesInvoice).credited];
      expect([...credited].sort((a, b) => a - b)).toEqual([200, 800]);
      expect(totals(tokensInvoice)).toEqual(expectedTotals(2800, credited[0]!));
      expect(totals(imagesInvoice)).toEqual(expectedTotals(800, credited[1]!));
      const ledger = await ledgerOf(stripe, llm.customer, welcome);
      const spentOn = (invoice: Stripe.Invoice) =>
        ledger.filter((entry) => entry.debit?.credits_applied?.invoice === invoice.id).reduce((sum, entry) => sum + entry.debit!.amount.monetary!.value, 0);
      expect([spentOn(tokensInvoice), spentOn(imagesInvoice)]).toEqual(credited);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 0, 0]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it('records at most 16 credit applications on one invoice, and gives all of them back (and takes them away) when it is voided', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const goneAt = finalizes(april.start) + 30 * MINUTE;
      const created = await Promise.all(Array.from({ length: 17 }, () => grant(stripe, llm.customer, { amount: monetary(10), expires_at: goneAt })));
      // Alike in everything else, they are spent in the order they were created, which their ids follow.
      const dimes = created.sort((a, b) => (a.id < b.id ? -1 : 1));
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 100, 0, inMarch);
      await advance(stripe, llm.clock, afterGrace(april.start));

      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      // What a 17th application would have paid stays due.
      expect(totals(cycle)).toEqual(expectedTotals(2300, 160));
      const inLine = lineOf(cycle, cycle.lines.data[0]!);
      expect(await creditedLines(stripe, cycle)).toEqual([
        creditedLine(llm.input, 300, dimes.slice(0, 16).map((d): [Stripe.Billing.CreditGrant, number] => [d, 10])),
        creditedLine(llm.output, 0),
        creditedLine(llm.fee!, 2000),
      ]);
      expect(await ledgerSummaries(stripe, llm.customer, dimes[16]!)).toEqual([granted(10, march.start), expired(10, goneAt)]);

      const voidedAt = afterGrace(april.start);
      await stripe.invoices.voidInvoice(cycle.id);
      const ledger = await ledgerOf(stripe, llm.customer);
      for (const dime of dimes.slice(0, 16)) {
        expect(ledger.filter((entry) => entry.credit_grant === dime.id).map(entrySummary)).toEqual([
          granted(10, march.start),
          applied(10, finalizes(april.start), inLine),
          restored(10, voidedAt, inLine),
          expired(10, voidedAt),
        ]);
      }
      expect(ledger).toHaveLength(16 * 4 + 2);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 0, 0]]);
    });
  });

  describe('voided invoices', () => {
    it('gives the credits a voided invoice used back to their grant, for the next invoice to use', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const welcome = await grant(stripe, llm.customer);
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 300, 100, inMarch);
      const voidedAt = afterGrace(april.start);
      await advance(stripe, llm.clock, voidedAt);
      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      expect(totals(cycle)).toEqual(expectedTotals(3400, 1000));
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 0, 0]]);

      const voidedInvoice = await stripe.invoices.voidInvoice(cycle.id);
      expect(voidedInvoice).toMatchObject({ status: 'void', amount_remaining: 0, status_transitions: { voided_at: voidedAt } });
      expect(voidedInvoice.total_pretax_credit_amounts).toEqual(cycle.total_pretax_credit_amounts);
      const [inLine, outLine] = cycle.lines.data.map((l) => lineOf(cycle, l));
      const ledger = await ledgerSummaries(stripe, llm.customer, welcome);
      expect(ledger.slice(0, 3)).toEqual([
        granted(1000, march.start),
        applied(900, finalizes(april.start), inLine!),
        applied(100, finalizes(april.start), outLine!),
      ]);
      // One credit back per entry that paid the invoice (in no particular order).
      expect(ledger.slice(3)).toHaveLength(2);
      expect(ledger.slice(3)).toEqual(expect.arrayContaining([restored(900, voidedAt, inLine!), restored(100, voidedAt, outLine!)]));
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 1000, 1000]]);

      await advance(stripe, llm.clock, utc(2026, 4, 11));
      await tokens(stack, llm, 50, 0, utc(2026, 4, 10));
      await advance(stripe, llm.clock, afterGrace(may.start));
      const next = await nthInvoice(stripe, llm.subscription, 2);
      expect(totals(next)).toEqual(expectedTotals(2150, 150));
      expect(await creditedLines(stripe, next)).toEqual([
        creditedLine(llm.input, 150, [[welcome, 150]]),
        creditedLine(llm.output, 0),
        creditedLine(llm.fee!, 2000),
      ]);
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 850, 850]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it.each([
      { grantIs: 'expired', gone: expired },
      { grantIs: 'voided', gone: voided },
    ])('takes the credits it gives back away again at once when the grant is $grantIs meanwhile', async ({ grantIs, gone }) => {
      const llm = await llmCustomer(stripe, march.start);
      const goneAt = finalizes(april.start) + 30 * MINUTE;
      const welcome = await grant(stripe, llm.customer, grantIs === 'expired' ? { expires_at: goneAt } : {});
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 100, 100, inMarch);
      await advance(stripe, llm.clock, goneAt);
      if (grantIs === 'voided') expect(await stripe.billing.creditGrants.voidGrant(welcome.id)).toMatchObject({ voided_at: goneAt });
      const voidedAt = afterGrace(april.start);
      await advance(stripe, llm.clock, voidedAt);

      const cycle = await nthInvoice(stripe, llm.subscription, 1);
      expect(totals(cycle)).toEqual(expectedTotals(2800, 800));
      await stripe.invoices.voidInvoice(cycle.id);
      const [inLine, outLine] = cycle.lines.data.map((l) => lineOf(cycle, l));
      const ledger = await ledgerSummaries(stripe, llm.customer, welcome);
      expect(ledger.slice(0, 4)).toEqual([
        granted(1000, march.start),
        applied(300, finalizes(april.start), inLine!),
        applied(500, finalizes(april.start), outLine!),
        gone(200, goneAt),
      ]);
      // Each credit given back is followed at once by the same amount taken away (the pairs in no particular order).
      const pairs = [ledger.slice(4, 6), ledger.slice(6, 8)];
      expect(ledger).toHaveLength(8);
      expect(pairs).toEqual(
        expect.arrayContaining([
          [restored(300, voidedAt, inLine!), gone(300, voidedAt)],
          [restored(500, voidedAt, outLine!), gone(500, voidedAt)],
        ]),
      );
      expect(await balances(stripe, llm.customer)).toEqual([['usd', 0, 0]]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });
  });

  describe('grants on a test clock', () => {
    it("creates a grant at its customer's clock time, changes it at the clock's later time, and records each change as an event", async () => {
      const { clock, customer } = await clockedCustomer(stripe, march.start);
      const created = await grant(stripe, customer, { name: 'Welcome credits', metadata: { campaign: 'spring' } });
      expect(created).toEqual({
        id: expect.stringMatching(/^credgr_/),
        object: 'billing.credit_grant',
        amount: { type: 'monetary', monetary: { currency: 'usd', value: 1000 } },
        applicability_config: { scope: { price_type: 'metered' } },
        category: 'paid',
        created: march.start,
        customer: customer.id,
        customer_account: null,
        effective_at: march.start,
        expires_at: null,
        livemode: false,
        metadata: { campaign: 'spring' },
        name: 'Welcome credits',
        priority: 50,
        test_clock: clock.id,
        updated: march.start,
        voided_at: null,
      });
      expect(await stripe.billing.creditGrants.retrieve(created.id)).toEqual(created);
      const [entry] = await ledgerOf(stripe, customer, created);
      expect(entry).toEqual({
        id: expect.stringMatching(/^cbtxn_/),
        object: 'billing.credit_balance_transaction',
        created: march.start,
        credit: { amount: { type: 'monetary', monetary: { currency: 'usd', value: 1000 } }, credits_application_invoice_voided: null, type: 'credits_granted' },
        credit_grant: created.id,
        debit: null,
        effective_at: march.start,
        livemode: false,
        test_clock: clock.id,
        type: 'credit',
      });
      expect(await stripe.billing.creditBalanceTransactions.retrieve(entry!.id)).toEqual(entry);

      const changedAt = utc(2026, 3, 5);
      await advance(stripe, clock, changedAt);
      const expiring = await stripe.billing.creditGrants.update(created.id, { expires_at: april.start, metadata: { tier: 'gold' } });
      expect(expiring).toEqual({ ...created, expires_at: april.start, metadata: { campaign: 'spring', tier: 'gold' }, updated: changedAt });
      const forever = await stripe.billing.creditGrants.update(created.id, { expires_at: '' });
      expect(forever).toEqual({ ...expiring, expires_at: null });
      expect(await stripe.billing.creditGrants.retrieve(created.id)).toEqual(forever);
      // No expiry is due any more: crossing the old one leaves the grant alone.
      await advance(stripe, clock, april.start + DAY);
      expect(await ledgerSummaries(stripe, customer, created)).toEqual([granted(1000, march.start)]);
      expect(await grantBalance(stripe, customer, created)).toEqual([['usd', 1000, 1000]]);

      const createdEvents = await eventsAbout(stripe, 'billing.credit_grant.created', created.id);
      expect(createdEvents.map((e) => [e.created, e.data.object, e.data.previous_attributes])).toEqual([[march.start, created, undefined]]);
      const updatedEvents = await eventsAbout(stripe, 'billing.credit_grant.updated', created.id);
      expect(updatedEvents.map((e) => [e.created, e.data.object, e.data.previous_attributes])).toEqual([
        [changedAt, expiring, { expires_at: null, metadata: { campaign: 'spring' }, updated: march.start }],
        [changedAt, forever, { expires_at: april.start }],
      ]);
      const entryEvents = await eventsAbout(stripe, 'billing.credit_balance_transaction.created', created.id);
      expect(entryEvents.map((e) => [e.created, e.data.object])).toEqual([[march.start, entry]]);
    });

    it('moves the expiry with expires_at: the new one is posted when it comes, the old one never', async () => {
      const { clock, customer } = await clockedCustomer(stripe, march.start);
      const sooner = await grant(stripe, customer, { expires_at: april.start });
      const later = await grant(stripe, customer, { expires_at: utc(2026, 3, 10) });
      await advance(stripe, clock, utc(2026, 3, 5));
      await stripe.billing.creditGrants.update(sooner.id, { expires_at: utc(2026, 3, 10) });
      await stripe.billing.creditGrants.update(later.id, { expires_at: april.start });

      await advance(stripe, clock, utc(2026, 3, 15));
      expect(await ledgerSummaries(stripe, customer, sooner)).toEqual([granted(1000, march.start), expired(1000, utc(2026, 3, 10))]);
      expect(await ledgerSummaries(stripe, customer, later)).toEqual([granted(1000, march.start)]);
      expect(await balances(stripe, customer)).toEqual([['usd', 1000, 1000]]);
      await advance(stripe, clock, april.start + DAY);
      expect(await ledgerSummaries(stripe, customer, sooner)).toHaveLength(2);
      expect(await ledgerSummaries(stripe, customer, later)).toEqual([granted(1000, march.start), expired(1000, april.start)]);
      await expectBalancesAreTheLedger(stripe, customer);
    });

    it('expires a grant now: what is left is posted as expired, and the grant can no longer change', async () => {
      const { clock, customer } = await clockedCustomer(stripe, march.start);
      const welcome = await grant(stripe, customer, { expires_at: april.start });
      const expiredAt = utc(2026, 3, 5);
      await advance(stripe, clock, expiredAt);
      const ended = await stripe.billing.creditGrants.expire(welcome.id);
      expect(ended).toEqual({ ...welcome, expires_at: expiredAt, updated: expiredAt });
      expect(await ledgerSummaries(stripe, customer, welcome)).toEqual([granted(1000, march.start), expired(1000, expiredAt)]);
      expect(await grantBalance(stripe, customer, welcome)).toEqual([['usd', 0, 0]]);
      const [event] = await eventsAbout(stripe, 'billing.credit_grant.updated', welcome.id);
      expect(event).toMatchObject({ created: expiredAt, data: { object: ended, previous_attributes: { expires_at: april.start, updated: march.start } } });

      for (const change of [
        () => stripe.billing.creditGrants.update(welcome.id, { metadata: { a: 'b' } }),
        () => stripe.billing.creditGrants.expire(welcome.id),
        () => stripe.billing.creditGrants.voidGrant(welcome.id),
      ]) {
        await expectInvalid(change(), undefined, 'credit_grant_not_editable');
      }
      // The old expiry passing posts nothing more.
      await advance(stripe, clock, april.start + DAY);
      expect(await stripe.billing.creditGrants.retrieve(welcome.id)).toEqual(ended);
      expect(await ledgerOf(stripe, customer, welcome)).toHaveLength(2);
      const entryEvents = await eventsAbout(stripe, 'billing.credit_balance_transaction.created', welcome.id);
      expect(entryEvents.map((e) => (e.data.object as { id: string }).id)).toEqual((await ledgerOf(stripe, customer, welcome)).map((e) => e.id));
    });

    it('voids a grant now: what is left is posted as voided, and its expiry never comes', async () => {
      const { clock, customer } = await clockedCustomer(stripe, march.start);
      const welcome = await grant(stripe, customer, { expires_at: inMarch });
      const voidedAt = utc(2026, 3, 5);
      await advance(stripe, clock, voidedAt);
      const gone = await stripe.billing.creditGrants.voidGrant(welcome.id);
      expect(gone).toEqual({ ...welcome, voided_at: voidedAt, updated: voidedAt });
      const [event] = await eventsAbout(stripe, 'billing.credit_grant.updated', welcome.id);
      expect(event).toMatchObject({ created: voidedAt, data: { object: gone, previous_attributes: { voided_at: null, updated: march.start } } });

      await advance(stripe, clock, inMarch + DAY);
      expect(await ledgerSummaries(stripe, customer, welcome)).toEqual([granted(1000, march.start), voided(1000, voidedAt)]);
      expect(await grantBalance(stripe, customer, welcome)).toEqual([['usd', 0, 0]]);
      await expectInvalid(stripe.billing.creditGrants.update(welcome.id, { expires_at: '' }), undefined, 'credit_grant_not_editable');
      await expectBalancesAreTheLedger(stripe, customer);
    });

    it('applies credits when a draft is finalized by hand, once', async () => {
      const llm = await llmCustomer(stripe, march.start);
      const welcome = await grant(stripe, llm.customer);
      await advance(stripe, llm.clock, inMarch + DAY);
      await tokens(stack, llm, 100, 100, inMarch);
      const byHand = april.start + 30 * MINUTE;
      await advance(stripe, llm.clock, byHand);
      const draft = await nthInvoice(stripe, llm.subscription, 1);
      expect(draft.status).toBe('draft');
      expect(totals(draft)).toMatchObject({ subtotal: 2800, credited: 0, total: 2800 });

      const finalized = await stripe.invoices.finalizeInvoice(draft.id);
      expect(totals(finalized)).toEqual(expectedTotals(2800, 800));
      expect(finalized.status_transitions.finalized_at).toBe(byHand);
      expect(await creditedLines(stripe, finalized)).toEqual([
        creditedLine(llm.input, 300, [[welcome, 300]]),
        creditedLine(llm.output, 500, [[welcome, 500]]),
        creditedLine(llm.fee!, 2000),
      ]);
      // The grace period passing finalizes nothing again and spends nothing more.
      await advance(stripe, llm.clock, afterGrace(april.start));
      expect(await stripe.invoices.retrieve(draft.id)).toEqual(finalized);
      const [inLine, outLine] = finalized.lines.data.map((l) => lineOf(finalized, l));
      expect(await ledgerSummaries(stripe, llm.customer, welcome)).toEqual([
        granted(1000, march.start),
        applied(300, byHand, inLine!),
        applied(500, byHand, outLine!),
      ]);
      await expectBalancesAreTheLedger(stripe, llm.customer);
    });

    it('lists the grants and the ledger of a customer newest first, a page at a time', async () => {
      const { clock, customer } = await clockedCustomer(stripe, march.start);
      const other = await stripe.customers.create({ test_clock: clock.id });
      const [first, second, third] = [await grant(stripe, customer), await grant(stripe, customer), await grant(stripe, customer)];
      await grant(stripe, other);

      const page1 = await stripe.billing.creditGrants.list({ customer: customer.id, limit: 2 });
      expect([page1.data.map((g) => g.id), page1.has_more]).toEqual([[third!.id, second!.id], true]);
      const page2 = await stripe.billing.creditGrants.list({ customer: customer.id, limit: 2, starting_after: second!.id });
      expect([page2.data.map((g) => g.id), page2.has_more]).toEqual([[first!.id], false]);
      const back = await stripe.billing.creditGrants.list({ customer: customer.id, limit: 2, ending_before: first!.id });
      expect(back.data.map((g) => g.id)).toEqual([third!.id, second!.id]);

      const entries = await stripe.billing.creditBalanceTransactions.list({ customer: customer.id, limit: 2 });
      expect([entries.data.map((e) => e.credit_grant), entries.has_more]).toEqual([[third!.id, second!.id], true]);
      const rest = await stripe.billing.creditBalanceTransactions.list({ customer: customer.id, limit: 2, starting_after: entries.data[1]!.id });
      expect([rest.data.map((e) => e.credit_grant), rest.has_more]).toEqual([[first!.id], false]);
      const ofSecond = await stripe.billing.creditBalanceTransactions.list({ customer: customer.id, credit_grant: second!.id });
      expect(ofSecond.data.map(entrySummary)).toEqual([granted(1000, march.start)]);
      expect(ofSecond.data[0]!.credit_grant).toBe(second!.id);
      expect(await balances(stripe, customer)).toEqual([['usd', 3000, 3000]]);
      expect(await balances(stripe, other)).toEqual([['usd', 1000, 1000]]);
    });
  });
});
