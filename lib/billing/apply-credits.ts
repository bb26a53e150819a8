import { groupBy } from '../domain/collections';
import { planCreditApplications, type CreditableLine } from '../domain/credits';
import { isMetered } from '../catalog/prices';
import type { TransactItem } from '../store/dynamo';
import type { Invoice, InvoiceLine, PretaxCreditAmount } from './model';
import type { CreditLedger } from '../credits/ledger';
import { grantTerms, type StoredGrant } from '../credits/model';

/**
 * Credits paying an invoice as it finalizes at `at`: the customer's grants are spent in the
 * order and by the rules of `planCreditApplications`, one `credits_applied` ledger entry per
 * (grant, line). The invoice comes back with each line's `pretax_credit_amounts`, its
 * `total_pretax_credit_amounts` and its totals reduced; the writes go into the finalization's
 * transaction, each grant conditioned on the version read. An invoice with no metered amount
 * reads nothing.
 */
export function makeApplyCredits(deps: { ledger: CreditLedger }) {
  return async function applyCredits(invoice: Invoice, at: number): Promise<{ invoice: Invoice; writes: TransactItem[] }> {
    const lines: CreditableLine[] = invoice.lines.data.map((line) => ({ id: line.id, price: line.price.id, metered: isMetered(line.price), amount: line.amount }));
    if (!lines.some((line) => line.metered && line.amount > 0)) return { invoice, writes: [] };
    const grants = await deps.ledger.grantsOf(invoice.customer);
    const applications = planCreditApplications(lines, grants.map(grantTerms), invoice.currency, at);
    if (!applications.length) return { invoice, writes: [] };

    const writes: TransactItem[] = [];
    const posts: StoredGrant[] = [];
    const credits: (PretaxCreditAmount & { line: string })[] = [];
    for (const [grantId, applied] of groupBy(applications, (application) => application.grant)) {
      const stored = grants.find((grant) => grant.grant.id === grantId)!;
      const posted = deps.ledger.post(
        stored,
        applied.map((application) => ({
          type: 'credits_applied',
          amount: application.amount,
          at,
          line: { invoice: invoice.id, invoice_line_item: application.line },
        })),
      );
      writes.push(...posted.writes);
      posts.push(posted.stored);
      posted.entries.forEach((entry, i) => {
        credits.push({ amount: applied[i]!.amount, credit_balance_transaction: entry.id, type: 'credit_balance_transaction', line: applied[i]!.line });
      });
    }
    writes.push(...(await deps.ledger.alertWrites(invoice.customer, posts, at)));
    const creditsOf = (line: string) => credits.filter((credit) => credit.line === line);
    const withCredits = (line: InvoiceLine): InvoiceLine => ({ ...line, pretax_credit_amounts: creditsOf(line.id).map(({ line: _, ...credit }) => credit) });
    const credited = credits.reduce((sum, credit) => sum + credit.amount, 0);
    const total = invoice.total - credited;
    return {
      invoice: {
        ...invoice,
        lines: { ...invoice.lines, data: invoice.lines.data.map(withCredits) },
        total_pretax_credit_amounts: credits.map(({ line: _, ...credit }) => credit),
        total,
        total_excluding_tax: total,
        amount_due: total,
        amount_remaining: total,
      },
      writes,
    };
  };
}

export type ApplyCredits = ReturnType<typeof makeApplyCredits>;
