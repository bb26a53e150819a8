import type { Customers, DeletedCustomer } from '../customers/customers';

export interface DeleteCustomerDeps {
  customers: Customers;
  cancelCustomerSubscriptions(customerId: string, requestNow: number): Promise<void>;
}

/**
 * DELETE /v1/customers/:id: as in Stripe, deleting a customer cancels its active subscriptions at
 * once, then leaves the customer's deletion record. Billing owns it because cancelling is billing's.
 */
export function makeDeleteCustomer(deps: DeleteCustomerDeps) {
  return async function deleteCustomer(id: string, now: number): Promise<DeletedCustomer> {
    const customer = await deps.customers.retrieve(id);
    await deps.cancelCustomerSubscriptions(customer.id, now);
    return deps.customers.delete(id, now);
  };
}
