import { randomBytes } from 'node:crypto';
import { InvalidRequestError } from '../errors';

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

export const ADDRESS_FIELD_NAMES = ADDRESS_FIELDS;
export const TAX_EXEMPT_VALUES = TAX_EXEMPT;
export const MAX_CUSTOM_FIELDS = 4;

/** An address as sent: each field optional (a country is a two-letter code, checked at the edge). */
export type AddressCommand = Partial<Record<(typeof ADDRESS_FIELDS)[number], string>>;

export interface ShippingCommand {
  address: AddressCommand;
  name: string;
  phone?: string;
}

export interface InvoiceSettingsCommand {
  footer?: string | null;
  custom_fields?: CustomField[] | null;
}

/** The address a command describes; fields not sent (or sent empty) are null. */
export function addressOf(command: AddressCommand): Address {
  return Object.fromEntries(ADDRESS_FIELDS.map((field) => [field, command[field] || null])) as unknown as Address;
}

export function shippingOf(command: ShippingCommand): Shipping {
  return { address: addressOf(command.address), name: command.name, phone: command.phone || null };
}

/** `invoice_settings[custom_fields]` (up to 4 name/value pairs) and `[footer]`; the fields not sent keep `current`. */
export function invoiceSettingsOf(command: InvoiceSettingsCommand, current: CustomerInvoiceSettings): CustomerInvoiceSettings {
  const fields = command.custom_fields;
  if (fields && fields.length > MAX_CUSTOM_FIELDS) {
    throw new InvalidRequestError(`You can pass at most ${MAX_CUSTOM_FIELDS} custom_fields.`, 'invoice_settings[custom_fields]');
  }
  return {
    ...current,
    footer: command.footer === undefined ? current.footer : command.footer,
    custom_fields: fields === undefined ? current.custom_fields : fields === null ? null : fields.map(({ name, value }) => ({ name, value })),
  };
}

/** Preferred locales are BCP 47 tags (`en`, `ja-JP`). */
export function checkLocales(locales: string[] | undefined): string[] | undefined {
  locales?.forEach((locale, i) => {
    if (!LOCALE.test(locale)) throw new InvalidRequestError(`Invalid locale: ${locale}`, `preferred_locales[${i}]`);
  });
  return locales;
}

export function checkInvoicePrefix(prefix: string | undefined): string | undefined {
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
