import { TAX_EXEMPT_VALUES } from '../../customers/invoice-details';
import { listParams, p, params, readString, refuse } from '../../http/schema';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ADDRESS_FIELD = { maxLength: 200 };

/** Stripe's Address; a country is a two-letter ISO 3166-1 code. */
const address = {
  city: p.optionalString(ADDRESS_FIELD),
  country: p.optional(
    p.custom({ type: 'string', pattern: '^[A-Z]{2}$' }, (value) => {
      const country = readString(value, ADDRESS_FIELD);
      if (country !== '' && !/^[A-Z]{2}$/.test(country)) refuse('Country must be a two-letter ISO 3166-1 code, such as US or JP.');
      return country;
    }),
  ),
  line1: p.optionalString(ADDRESS_FIELD),
  line2: p.optionalString(ADDRESS_FIELD),
  postal_code: p.optionalString(ADDRESS_FIELD),
  state: p.optionalString(ADDRESS_FIELD),
};

const shipping = {
  address: p.object(address),
  name: p.string({ maxLength: 256 }),
  phone: p.optionalString({ maxLength: 20 }),
};

const invoiceSettings = {
  footer: p.nullableString({ maxLength: 5000 }),
  custom_fields: p.nullableObjectList({ name: p.string({ maxLength: 40 }), value: p.string({ maxLength: 140 }) }),
};

const contact = {
  email: p.nullableString({ maxLength: 512, pattern: EMAIL }),
  name: p.nullableString({ maxLength: 256 }),
  description: p.nullableString({ maxLength: 350 }),
  phone: p.nullableString({ maxLength: 20 }),
};

/** POST /v1/customers. */
export const createCustomer = params({
  ...contact,
  metadata: p.metadata(),
  test_clock: p.optionalString(),
  address: p.nullableObject(address),
  shipping: p.nullableObject(shipping),
  preferred_locales: p.optionalStringList(10),
  invoice_settings: p.optionalObject(invoiceSettings),
  invoice_prefix: p.optionalString(),
  tax_exempt: p.optionalEnum(TAX_EXEMPT_VALUES),
});

/** POST /v1/customers/:id. */
export const updateCustomer = params({
  ...contact,
  address: p.nullableObject(address),
  shipping: p.nullableObject(shipping),
  preferred_locales: p.optionalStringList(10),
  invoice_settings: p.optionalObject(invoiceSettings),
  invoice_prefix: p.optionalString(),
  next_invoice_sequence: p.optionalInteger({ min: 1, max: 1_000_000_000 }),
  tax_exempt: p.optionalEnum(TAX_EXEMPT_VALUES),
  metadata: p.metadata(),
});

/** GET /v1/customers. */
export const listCustomers = listParams({
  email: p.optionalString({ maxLength: 512 }),
  test_clock: p.optionalString(),
});
