import { describe, expect, it } from 'vitest';
import { encodeParams } from '../../web/src/api';
import { dateTime, minorDigits, money, quantity, unitPrice, utc } from '../../web/src/format';

describe('the console\'s formatting', () => {
  it('shows money in each currency\'s own minor units', () => {
    expect(money(123456, 'usd', 'en-US')).toBe('$1,234.56');
    expect(money(-500, 'usd', 'en-US')).toBe('-$5.00');
    expect(money(1234, 'jpy', 'en-US')).toBe('¥1,234');
    // Intl separates a currency code with a no-break space.
    expect(money(1234, 'kwd', 'en-US').replace(/\s/g, ' ')).toBe('KWD 1.234');
    expect(money(5, 'eur', 'de-DE').replace(/\s/g, ' ')).toBe('0,05 €');
    expect([minorDigits('usd'), minorDigits('JPY'), minorDigits('kwd')]).toEqual([2, 0, 3]);
  });

  it('shows decimal unit prices and quantities exactly as the API gives them', () => {
    expect(unitPrice('2.5', 'usd')).toBe('USD 0.025');
    expect(unitPrice('0.000000000001', 'usd')).toBe('USD 0.00000000000001');
    expect(unitPrice('1500', 'jpy')).toBe('JPY 1500');
    expect(unitPrice(null, 'usd')).toBe('—');
    expect(quantity('1234567.000000000001')).toBe('1,234,567.000000000001');
    expect(quantity('12')).toBe('12');
  });

  it('shows times in the browser\'s zone with UTC for the hover', () => {
    expect(dateTime(1_796_371_200, 'en-US', 'UTC')).toBe('Dec 4, 2026, 8:00 AM');
    expect(dateTime(1_796_371_200, 'en-US', 'Asia/Tokyo')).toBe('Dec 4, 2026, 5:00 PM');
    expect(utc(1_796_371_200)).toBe('2026-12-04T08:00:00Z (UTC)');
  });

  it('encodes parameters as Stripe\'s form bodies do', () => {
    expect(encodeParams({ customer: 'cus_1', filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } }, skip: undefined })).toEqual([
      'customer=cus_1',
      'filter%5Btype%5D=applicability_scope',
      'filter%5Bapplicability_scope%5D%5Bprice_type%5D=metered',
    ]);
  });
});
