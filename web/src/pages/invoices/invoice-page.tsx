import { useConsole } from '../../app';
import { money, period, quantity, unitPrice } from '../../format';
import type { CreditGrant, CreditTransaction, Invoice } from '../../model';
import { ConfirmButton, Loaded, StatusBadge, Time, useLoad } from '../../ui';

/** The actions each status allows, as the API's invoice state machine does. */
const ACTIONS: Record<Invoice['status'], { path: string; label: string; confirm: string; params?: Record<string, unknown>; danger?: boolean }[]> = {
  draft: [{ path: 'finalize', label: 'Finalize', confirm: 'Finalize this invoice now?' }],
  open: [
    { path: 'pay', label: 'Mark paid', confirm: 'Record a payment made outside Meterline?', params: { paid_out_of_band: true } },
    { path: 'mark_uncollectible', label: 'Mark uncollectible', confirm: 'Mark this invoice uncollectible?' },
    { path: 'void', label: 'Void', confirm: 'Void this invoice? Credits it used are restored.', danger: true },
  ],
  uncollectible: [
    { path: 'pay', label: 'Mark paid', confirm: 'Record a payment made outside Meterline?', params: { paid_out_of_band: true } },
    { path: 'void', label: 'Void', confirm: 'Void this invoice? Credits it used are restored.', danger: true },
  ],
  paid: [],
  void: [],
};

/** An invoice: lines, credits applied (with their grants' names), totals, status history and actions. */
export function InvoicePage(props: { id: string }) {
  const { api, canWrite } = useConsole();
  const state = useLoad(async () => {
    const invoice = await api.get<Invoice>(`/v1/invoices/${props.id}`);
    // At most 16 credit applications per invoice: one ledger entry and one grant each.
    const credits = await Promise.all(
      invoice.total_pretax_credit_amounts.map(async (credit) => {
        const entry = await api.get<CreditTransaction>(`/v1/billing/credit_balance_transactions/${credit.credit_balance_transaction}`);
        const grant = await api.get<CreditGrant>(`/v1/billing/credit_grants/${entry.credit_grant}`);
        return { amount: credit.amount, grant };
      }),
    );
    return { invoice, credits };
  }, [props.id]);
  return (
    <Loaded state={state}>
      {({ invoice, credits }) => {
        const history = [
          ['Created', invoice.created],
          ['Finalized', invoice.status_transitions.finalized_at],
          ['Paid', invoice.status_transitions.paid_at],
          ['Marked uncollectible', invoice.status_transitions.marked_uncollectible_at],
          ['Voided', invoice.status_transitions.voided_at],
        ] as const;
        return (
          <>
            <h1>
              Invoice {invoice.number ?? invoice.id} <StatusBadge status={invoice.status} />
            </h1>
            <dl class="facts">
              <dt>Customer</dt>
              <dd>
                <a href={`#/customers/${invoice.customer}`}>{invoice.customer_name ?? invoice.customer}</a>
              </dd>
              <dt>Period</dt>
              <dd>{period(invoice.period_start, invoice.period_end)}</dd>
              {invoice.hosted_invoice_url && (
                <>
                  <dt>Customer's copy</dt>
                  <dd>
                    <a href={invoice.hosted_invoice_url} target="_blank" rel="noopener noreferrer">
                      Hosted invoice page
                    </a>{' '}
                    ·{' '}
                    <a href={invoice.invoice_pdf ?? undefined} target="_blank" rel="noopener noreferrer">
                      PDF
                    </a>
                  </dd>
                </>
              )}
              {invoice.status === 'draft' && invoice.automatically_finalizes_at && (
                <>
                  <dt>Finalizes</dt>
                  <dd>
                    <Time at={invoice.automatically_finalizes_at} />
                  </dd>
                </>
              )}
            </dl>
            <table>
              <caption>Lines</caption>
              <thead>
                <tr>
                  <th scope="col">Description</th>
                  <th scope="col">Period</th>
                  <th scope="col" class="num">Quantity</th>
                  <th scope="col" class="num">Unit price</th>
                  <th scope="col" class="num">Amount</th>
                </tr>
              </thead>
              <tbody>
                {invoice.lines.data.map((line) => (
                  <tr key={line.id}>
                    <td>{line.description}</td>
                    <td>{period(line.period.start, line.period.end)}</td>
                    <td class="num">{quantity(line.quantity_decimal)}</td>
                    <td class="num">{unitPrice(line.pricing.unit_amount_decimal, line.currency)}</td>
                    <td class="num">{money(line.amount, line.currency)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={4}>
                    Subtotal
                  </th>
                  <td class="num">{money(invoice.subtotal, invoice.currency)}</td>
                </tr>
                {credits.map(({ amount, grant }) => (
                  <tr>
                    <th scope="row" colSpan={4}>
                      Credit grant applied: {grant.name ?? grant.id}
                    </th>
                    <td class="num">{money(-amount, invoice.currency)}</td>
                  </tr>
                ))}
                <tr>
                  <th scope="row" colSpan={4}>
                    Total
                  </th>
                  <td class="num">{money(invoice.total, invoice.currency)}</td>
                </tr>
                <tr>
                  <th scope="row" colSpan={4}>
                    Amount due
                  </th>
                  <td class="num">
                    <strong>{money(invoice.amount_due, invoice.currency)}</strong>
                  </td>
                </tr>
              </tfoot>
            </table>
            <section aria-labelledby="history">
              <h2 id="history">Status history</h2>
              <ul>
                {history
                  .filter(([, at]) => at)
                  .map(([label, at]) => (
                    <li>
                      {label} <Time at={at} />
                    </li>
                  ))}
              </ul>
            </section>
            {canWrite && ACTIONS[invoice.status].length > 0 && (
              <section aria-labelledby="actions" class="actions">
                <h2 id="actions">Actions</h2>
                {ACTIONS[invoice.status].map((a) => (
                  <ConfirmButton danger={a.danger} label={a.label} confirm={a.confirm} onConfirm={() => api.post(`/v1/invoices/${invoice.id}/${a.path}`, a.params).then(state.reload)} />
                ))}
              </section>
            )}
          </>
        );
      }}
    </Loaded>
  );
}
