import type { StripeEvent } from '../../model';

/** The console's page of each kind of object that has one. */
const PAGES: Record<string, string> = {
  customer: 'customers',
  invoice: 'invoices',
  'billing.meter': 'meters',
  'test_helpers.test_clock': 'clocks',
};

/** The object an event is about: a link where the console has a page for it, else its id. */
export function RelatedObject(props: { event: StripeEvent }) {
  const { id, object } = props.event.data.object;
  if (!id) return <>—</>;
  const page = object ? PAGES[object] : undefined;
  return page ? <a href={`#/${page}/${id}`}>{id}</a> : <code>{id}</code>;
}

/** The customer an event's object belongs to, when it is not itself the customer (an invoice, a subscription, a grant). */
export function relatedCustomer(event: StripeEvent): string | undefined {
  const { object, customer } = event.data.object;
  return object !== 'customer' && typeof customer === 'string' ? customer : undefined;
}
