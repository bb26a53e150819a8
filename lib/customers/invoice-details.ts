import { randomBytes } from 'node:crypto';
import { InvalidRequestError } from '../errors';
import type { Params } from '../http/params';

/** Stripe's Address. */
export interface Address {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

/** Stripe's Customer.Shipping. */
export interface Shipping {
  address: Address;
  name: string;
  phone: string | null;
}

export interface CustomField {
  name: string;
  value: string;
}

/** Stripe's Customer.InvoiceSettings (Meterline collects no payments: no default payment method). */
export interface CustomerInvoiceSettings {
  custom_fields: CustomField[] | null;
  default_payment_method: null;
  footer: string | null;
  rendering_options: null;
}

export type TaxExempt = 'none' | 'exempt' | 'reverse';

const ADDRESS_FIELDS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;
const TAX_EXEMPT = ['none', 'exempt', 'reverse'] as const;
/** Stripe: 3-12 uppercase letters or numbers. */
const INVOICE_PREFIX = /^[A-Z0-9]{3,12}$/;
/** BCP 47 tags as Stripe takes them (`en`, `ja-JP`, `fr-CA`). */
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export function readAddress(params: Params): Address {
  const address = Object.fromEntries(ADDRESS_FIELDS.map((field) => [field, params.optionalString(field, { maxLength: 200 }) || null])) as unknown as Address;
  params.done();
  if (address.country !== null && !/^[A-Z]{2}$/.test(address.country)) {
    throw new InvalidRequestError('Country must be a two-letter ISO 3166-1 code, such as US or JP.', params.path('country'));
  }
  return address;
}

export function readShipping(params: Params): Shipping {
  const shipping: Shipping = {
    address: readAddress(params.object('address')),
    name: params.string('name', { maxLength: 256 }),
    phone: params.optionalString('phone', { maxLength: 20 }) || null,
  };
  params.done();
  return shipping;
}

/** `invoice_settings[custom_fields]` (up to 4 name/value pairs) and `[footer]`; the fields not sent keep `current`. */
export function readInvoiceSettings(params: Params, current: CustomerInvoiceSettings): CustomerInvoiceSettings {
  const footer = params.nullableString('footer', { maxLength: 5000 });
  const fields = params.nullableObjectList('custom_fields');
  params.done();
  if (fields && fields.length > 4) throw new InvalidRequestError('You can pass at most 4 custom_fields.', params.path('custom_fields'));
  const customFields =
    fields === undefined
      ? current.custom_fields
      : fields === null
        ? null
        : fields.map((field) => {
            const read = { name: field.string('name', { maxLength: 40 }), value: field.string('value', { maxLength: 140 }) };
            field.done();
            return read;
          });
  return { ...current, footer: footer === undefined ? current.footer : footer, custom_fields: customFields };
}

export function readPreferredLocales(params: Params): string[] | undefined {
  const locales = params.optionalStringList('preferred_locales', 10);
  locales?.forEach((locale, i) => {
    if (!LOCALE.test(locale)) throw new InvalidRequestError(`Invalid locale: ${locale}`, `preferred_locales[${i}]`);
  });
  return locales;
}

export const readTaxExempt = (params: Params) => params.optionalString('tax_exempt', { oneOf: TAX_EXEMPT }) as TaxExempt | undefined;

export function readInvoicePrefix(params: Params): string | undefined {
  const prefix = params.optionalString('invoice_prefix');
  if (prefix !== undefined && !INVOICE_PREFIX.test(prefix)) {
    throw new InvalidRequestError('invoice_prefix must be 3-12 uppercase letters or numbers.', 'invoice_prefix');
  }
  return prefix;
}

/** A customer's own invoice prefix, as Stripe makes one: 8 uppercase hex characters. */
export const newInvoicePrefix = () => randomBytes(4).toString('hex').toUpperCase();

/** Stripe's invoice number: the customer's prefix and its invoice sequence, zero-padded to 4 digits. */
export const invoiceNumber = (prefix: string, sequence: number) => `${prefix}-${String(sequence).padStart(4, '0')}`;

export { EMPTY_INVOICE_SETTINGS } from '../domain/stripe-shapes';
