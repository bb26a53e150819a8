import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../lib/webhooks/signature';

const stripe = new Stripe('sk_test_unused', { telemetry: false });
const secret = 'whsec_0123456789abcdefghijABCDEFGHIJ';
const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.created', data: { object: { id: 'cus_1', name: 'Zoë' } } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('webhook signatures', () => {
  it('verify with the official SDK', () => {
    const event = stripe.webhooks.constructEvent(body, signatureHeader(secret, body, nowSeconds()), secret);
    expect(event.id).toBe('evt_1');
    expect(event.type).toBe('customer.created');
  });

  it('match the SDK’s own test header', () => {
    const t = nowSeconds();
    expect(signatureHeader(secret, body, t)).toBe(stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t }));
  });

  it('fail for a tampered body', () => {
    const header = signatureHeader(secret, body, nowSeconds());
    expect(() => stripe.webhooks.constructEvent(body.replace('Zoë', 'Eve'), header, secret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('fail when older than the tolerance (300 s)', () => {
    const header = signatureHeader(secret, body, nowSeconds() - 301);
    expect(() => stripe.webhooks.constructEvent(body, header, secret)).toThrow(/Timestamp outside the tolerance zone/);
  });

  it('fail for another secret', () => {
    const header = signatureHeader(secret, body, nowSeconds());
    expect(() => stripe.webhooks.constructEvent(body, header, 'whsec_other')).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});
