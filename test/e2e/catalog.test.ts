import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { expectInvalid, expectStripeError, loose, meterParams, unique } from '../fixtures/stripe';
import {
  decimal,
  licensedPriceParams,
  meteredPriceParams,
  oneTimePriceParams,
  packagePriceParams,
  plain,
  productParams,
  tieredPriceParams,
} from '../fixtures/catalog';

/** One invalid request: what it sends and the parameter (and code) the 400 must name. */
interface Case {
  name: string;
  send: () => Promise<unknown>;
  param: string;
  code?: string;
}

const long = (n: number) => 'x'.repeat(n);

describe('catalog', () => {
  const { stack, stripe } = useStack();
  let meter: Stripe.Billing.Meter;
  let inactiveMeter: Stripe.Billing.Meter;

  beforeAll(async () => {
    [meter, inactiveMeter] = await Promise.all([stripe.billing.meters.create(meterParams()), stripe.billing.meters.create(meterParams())]);
    await stripe.billing.meters.deactivate(inactiveMeter.id);
  });

  const newProduct = (overrides: Partial<Stripe.ProductCreateParams> = {}) => stripe.products.create(productParams(overrides));
  const ids = (objects: { id: string }[]) => objects.map((o) => o.id);
  /** Every price of `product`, active or not, newest first. */
  const pricesOf = async (product: { id: string }) => {
    const [active, inactive] = await Promise.all([
      stripe.prices.list({ product: product.id, limit: 100 }),
      stripe.prices.list({ product: product.id, active: false, limit: 100 }),
    ]);
    return [...active.data, ...inactive.data].map((p) => plain(p));
  };

  describe('products', () => {
    it('creates a product with Stripe defaults for everything not given', async () => {
      const params = productParams({ description: 'Metered API access', metadata: { plan: 'pro' } });
      const product = await stripe.products.create(params);
      expect(product.id).toMatch(/^prod_[A-Za-z0-9]{24}$/);
      expect({ ...product }).toEqual({
        id: product.id,
        object: 'product',
        active: true,
        created: product.created,
        updated: product.created,
        default_price: null,
        description: 'Metered API access',
        images: [],
        livemode: false,
        marketing_features: [],
        metadata: { plan: 'pro' },
        name: params.name,
        package_dimensions: null,
        shippable: null,
        statement_descriptor: null,
        tax_code: null,
        tax_details: null,
        type: 'service',
        unit_label: null,
        url: null,
      });
    });

    it('keeps a custom id and refuses it a second time (400, param id)', async () => {
      const id = unique('prod_custom');
      const product = await newProduct({ id, unit_label: 'token' });
      expect(product).toMatchObject({ id, unit_label: 'token' });
      await expectInvalid(newProduct({ id }), 'id', 'resource_already_exists');
      expect((await stripe.products.retrieve(id)).name).toBe(product.name);
    });

    it('retrieves a product by id', async () => {
      const product = await newProduct();
      expect({ ...(await stripe.products.retrieve(product.id)) }).toEqual({ ...product });
    });

    it('updates name, active, description and metadata, and unsets a metadata key', async () => {
      const product = await newProduct({ metadata: { keep: '1', drop: '2' } });
      const updated = await stripe.products.update(product.id, {
        name: 'Renamed',
        active: false,
        description: 'Archived plan',
        metadata: { drop: '', added: '3' },
      });
      expect(updated).toMatchObject({ name: 'Renamed', active: false, description: 'Archived plan', metadata: { keep: '1', added: '3' } });
      expect(updated.updated).toBeGreaterThanOrEqual(product.updated);
      expect({ ...(await stripe.products.retrieve(product.id)) }).toEqual({ ...updated });
    });

    it('lists products newest first, filtered by active', async () => {
      const older = await newProduct();
      const archived = await newProduct({ active: false });
      const newer = await newProduct();
      const list = async (active?: boolean) => ids((await stripe.products.list({ limit: 100, ...(active === undefined ? {} : { active }) })).data);
      const [all, active, inactive] = await Promise.all([list(), list(true), list(false)]);
      expect(all.indexOf(newer.id)).toBeLessThan(all.indexOf(archived.id));
      expect(all.indexOf(archived.id)).toBeLessThan(all.indexOf(older.id));
      expect(active).toEqual(expect.arrayContaining([older.id, newer.id]));
      expect(active).not.toContain(archived.id);
      expect(inactive).toContain(archived.id);
      expect(new Set(all)).toEqual(new Set([...active, ...inactive]));
    });

    it('moves a product between the active and inactive lists when it is archived', async () => {
      const product = await newProduct();
      await stripe.products.update(product.id, { active: false });
      expect(ids((await stripe.products.list({ active: true, limit: 100 })).data)).not.toContain(product.id);
      expect(ids((await stripe.products.list({ active: false, limit: 100 })).data)).toContain(product.id);
    });

    it('auto-paginates the product list in both directions', async () => {
      await Promise.all([newProduct(), newProduct(), newProduct()]);
      const all = ids((await stripe.products.list({ limit: 100 })).data);
      const walked: string[] = [];
      for await (const product of stripe.products.list({ limit: 2 })) walked.push(product.id);
      expect(walked).toEqual(all);
      const before = await stripe.products.list({ limit: 2, ending_before: all[3]! });
      expect(ids(before.data)).toEqual(all.slice(1, 3));
      expect(before.has_more).toBe(true);
    });

    it('deletes a product without prices, which then answers 404', async () => {
      const product = await newProduct();
      expect({ ...(await stripe.products.del(product.id)) }).toMatchObject({ id: product.id, object: 'product', deleted: true });
      await expectStripeError(stripe.products.retrieve(product.id), Stripe.errors.StripeInvalidRequestError, { statusCode: 404, code: 'resource_missing' });
      expect(ids((await stripe.products.list({ limit: 100 })).data)).not.toContain(product.id);
    });

    it('refuses to delete a product that has a price, even an archived one (400)', async () => {
      const product = await newProduct();
      const price = await stripe.prices.create(licensedPriceParams(product.id, { active: false }));
      await expectInvalid(stripe.products.del(product.id), undefined);
      expect((await stripe.products.retrieve(product.id)).id).toBe(product.id);
      expect((await stripe.prices.retrieve(price.id)).product).toBe(product.id);
    });

    it('answers 404 (param id) for an unknown product', async () => {
      await expectStripeError(stripe.products.retrieve(unique('prod')), Stripe.errors.StripeInvalidRequestError, {
        statusCode: 404,
        code: 'resource_missing',
        param: 'id',
      });
    });
  });

  describe('prices', () => {
    let product: Stripe.Product;
    beforeAll(async () => {
      product = await newProduct();
    });

    it('creates a licensed monthly price with the full Stripe shape', async () => {
      const price = await stripe.prices.create(licensedPriceParams(product.id, { nickname: 'Seat', metadata: { tier: 'pro' } }));
      expect(price.id).toMatch(/^price_[A-Za-z0-9]{24}$/);
      expect(plain(price)).toEqual({
        id: price.id,
        object: 'price',
        active: true,
        billing_scheme: 'per_unit',
        created: price.created,
        currency: 'usd',
        custom_unit_amount: null,
        livemode: false,
        lookup_key: null,
        metadata: { tier: 'pro' },
        nickname: 'Seat',
        product: product.id,
        recurring: { interval: 'month', interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
        tax_behavior: 'unspecified',
        tiers: null,
        tiers_mode: null,
        transform_quantity: null,
        type: 'recurring',
        unit_amount: 1000,
        unit_amount_decimal: '1000',
      });
      expect(plain(await stripe.prices.retrieve(price.id))).toEqual(plain(price));
    });

    it('creates a one-time price without recurring', async () => {
      const price = await stripe.prices.create(oneTimePriceParams(product.id, { tax_behavior: 'exclusive' }));
      expect(price).toMatchObject({ type: 'one_time', recurring: null, unit_amount: 2500, tax_behavior: 'exclusive' });
    });

    it('creates a metered price on an active meter', async () => {
      const price = await stripe.prices.create(meteredPriceParams(product.id, meter.id));
      expect(plain(price)).toMatchObject({
        billing_scheme: 'per_unit',
        type: 'recurring',
        recurring: { interval: 'month', interval_count: 1, meter: meter.id, trial_period_days: null, usage_type: 'metered' },
        unit_amount: null,
        unit_amount_decimal: '0.05',
      });
    });

    it('keeps an interval_count up to three years and a trial period', async () => {
      const price = await stripe.prices.create(
        licensedPriceParams(product.id, { recurring: { interval: 'week', interval_count: 156, trial_period_days: 14 } }),
      );
      expect(price.recurring).toMatchObject({ interval: 'week', interval_count: 156, trial_period_days: 14 });
    });

    it('creates graduated tiers with flat amounts and a last inf tier, with every amount as a decimal string', async () => {
      const price = await stripe.prices.create(tieredPriceParams(product.id, meter.id, 'graduated'));
      expect(plain(price)).toMatchObject({
        billing_scheme: 'tiered',
        tiers_mode: 'graduated',
        unit_amount: null,
        unit_amount_decimal: null,
        transform_quantity: null,
        tiers: [
          { up_to: 1000, unit_amount: 0, unit_amount_decimal: '0', flat_amount: 500, flat_amount_decimal: '500' },
          { up_to: 10_000, unit_amount: null, unit_amount_decimal: '0.2', flat_amount: null, flat_amount_decimal: null },
          { up_to: null, unit_amount: null, unit_amount_decimal: '0.1', flat_amount: null, flat_amount_decimal: '99.5' },
        ],
      });
      expect(plain(await stripe.prices.retrieve(price.id))).toEqual(plain(price));
    });

    it('creates volume tiers', async () => {
      const price = await stripe.prices.create(tieredPriceParams(product.id, meter.id, 'volume'));
      expect(plain(price)).toMatchObject({
        tiers_mode: 'volume',
        tiers: [
          { up_to: 100, unit_amount: 2, unit_amount_decimal: '2', flat_amount: null, flat_amount_decimal: null },
          { up_to: null, unit_amount: 1, unit_amount_decimal: '1', flat_amount: null, flat_amount_decimal: null },
        ],
      });
    });

    it('creates a package price with transform_quantity', async () => {
      const price = await stripe.prices.create(packagePriceParams(product.id, meter.id, { transform_quantity: { divide_by: 60, round: 'down' } }));
      expect(plain(price)).toMatchObject({ transform_quantity: { divide_by: 60, round: 'down' }, unit_amount: 1000, unit_amount_decimal: '1000' });
    });

    it('keeps a unit_amount_decimal with 12 decimal places exactly, with no integer unit_amount', async () => {
      const price = await stripe.prices.create(oneTimePriceParams(product.id, { unit_amount: undefined, unit_amount_decimal: decimal('1234.567890123456') }));
      expect(plain(price)).toMatchObject({ unit_amount: null, unit_amount_decimal: '1234.567890123456' });
      const tiny = await stripe.prices.create(oneTimePriceParams(product.id, { unit_amount: undefined, unit_amount_decimal: decimal('0.000000000001') }));
      expect(plain(await stripe.prices.retrieve(tiny.id))).toMatchObject({ unit_amount: null, unit_amount_decimal: '0.000000000001' });
    });

    it('turns a whole unit_amount_decimal into unit_amount too', async () => {
      const price = await stripe.prices.create(oneTimePriceParams(product.id, { unit_amount: undefined, unit_amount_decimal: loose('250.000') }));
      expect(plain(price)).toMatchObject({ unit_amount: 250, unit_amount_decimal: '250' });
    });

    it('creates a JPY price in whole yen', async () => {
      const price = await stripe.prices.create(licensedPriceParams(product.id, { currency: 'jpy', unit_amount: 1500 }));
      expect(plain(price)).toMatchObject({ currency: 'jpy', unit_amount: 1500, unit_amount_decimal: '1500' });
    });

    it('accepts an upper-case currency and stores it lower-case', async () => {
      const price = await stripe.prices.create(licensedPriceParams(product.id, { currency: 'EUR' }));
      expect(price.currency).toBe('eur');
    });

    it('creates its product inline from product_data', async () => {
      const name = unique('Inline');
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 700,
        product_data: { name, metadata: { source: 'inline' } },
      });
      const inline = await stripe.products.retrieve(price.product as string);
      expect(inline).toMatchObject({ name, active: true, metadata: { source: 'inline' }, created: price.created });
      expect(ids(await pricesOf(inline) as { id: string }[])).toEqual([price.id]);
    });

    it('accepts a price for an archived product, as Stripe does', async () => {
      const archived = await newProduct({ active: false });
      const price = await stripe.prices.create(licensedPriceParams(archived.id));
      expect(price.product).toBe(archived.id);
    });

    it('updates nickname, active and metadata only', async () => {
      const price = await stripe.prices.create(licensedPriceParams(product.id, { nickname: 'Old', metadata: { a: '1', b: '2' } }));
      const updated = await stripe.prices.update(price.id, { nickname: 'New', active: false, metadata: { b: '', c: '3' } });
      expect(plain(updated)).toEqual({ ...(plain(price) as object), nickname: 'New', active: false, metadata: { a: '1', c: '3' } });
      expect(plain(await stripe.prices.retrieve(price.id))).toEqual(plain(updated));
      const cleared = await stripe.prices.update(price.id, { nickname: '' });
      expect(cleared.nickname).toBeNull();
    });

    it('answers 404 (param id) for an unknown price', async () => {
      await expectStripeError(stripe.prices.retrieve(unique('price')), Stripe.errors.StripeInvalidRequestError, {
        statusCode: 404,
        code: 'resource_missing',
        param: 'id',
      });
    });

    it('answers 400 resource_missing naming product or recurring[meter] for unknown or deleted ones, and writes nothing', async () => {
      const deleted = await newProduct();
      await stripe.products.del(deleted.id);
      const before = ids((await stripe.prices.list({ limit: 100 })).data);
      const notFound = { statusCode: 400, code: 'resource_missing' };
      await expectStripeError(stripe.prices.create(licensedPriceParams(unique('prod'))), Stripe.errors.StripeInvalidRequestError, {
        ...notFound,
        param: 'product',
      });
      await expectStripeError(stripe.prices.create(licensedPriceParams(deleted.id)), Stripe.errors.StripeInvalidRequestError, {
        ...notFound,
        param: 'product',
      });
      await expectStripeError(stripe.prices.create(meteredPriceParams(product.id, 'mtr_unknown')), Stripe.errors.StripeInvalidRequestError, {
        ...notFound,
        param: 'recurring[meter]',
      });
      expect(ids((await stripe.prices.list({ limit: 100 })).data)).toEqual(before);
    });

    describe('lookup keys', () => {
      it('finds prices by lookup_keys', async () => {
        const [a, b] = [unique('basic'), unique('pro')];
        const basic = await stripe.prices.create(licensedPriceParams(product.id, { lookup_key: a }));
        const pro = await stripe.prices.create(licensedPriceParams(product.id, { lookup_key: b }));
        expect(basic.lookup_key).toBe(a);
        const found = await stripe.prices.list({ lookup_keys: [a, b, unique('nobody')] });
        expect(ids(found.data)).toEqual([pro.id, basic.id]);
        expect(found.has_more).toBe(false);
      });

      it('refuses a lookup key that another price uses (400, param lookup_key)', async () => {
        const key = unique('taken');
        const holder = await stripe.prices.create(licensedPriceParams(product.id, { lookup_key: key }));
        await expectInvalid(stripe.prices.create(licensedPriceParams(product.id, { lookup_key: key })), 'lookup_key');
        expect(ids((await stripe.prices.list({ lookup_keys: [key] })).data)).toEqual([holder.id]);
      });

      it('moves a lookup key to a new price with transfer_lookup_key', async () => {
        const key = unique('current');
        const old = await stripe.prices.create(licensedPriceParams(product.id, { lookup_key: key }));
        const next = await stripe.prices.create(licensedPriceParams(product.id, { lookup_key: key, transfer_lookup_key: true }));
        expect(next.lookup_key).toBe(key);
        expect((await stripe.prices.retrieve(old.id)).lookup_key).toBeNull();
        expect(ids((await stripe.prices.list({ lookup_keys: [key] })).data)).toEqual([next.id]);
      });

      it('sets, transfers and unsets a lookup key on update', async () => {
        const key = unique('latest');
        const first = await stripe.prices.create(licensedPriceParams(product.id));
        const second = await stripe.prices.create(licensedPriceParams(product.id));
        expect((await stripe.prices.update(first.id, { lookup_key: key })).lookup_key).toBe(key);
        await expectInvalid(stripe.prices.update(second.id, { lookup_key: key }), 'lookup_key');
        expect((await stripe.prices.update(second.id, { lookup_key: key, transfer_lookup_key: true })).lookup_key).toBe(key);
        expect((await stripe.prices.retrieve(first.id)).lookup_key).toBeNull();
        expect((await stripe.prices.update(second.id, { lookup_key: '' })).lookup_key).toBeNull();
        expect((await stripe.prices.list({ lookup_keys: [key] })).data).toEqual([]);
        expect((await stripe.prices.update(first.id, { lookup_key: key })).lookup_key).toBe(key);
      });
    });

    describe('lists', () => {
      let catalog: Stripe.Product;
      let licensed: Stripe.Price;
      let yearly: Stripe.Price;
      let metered: Stripe.Price;
      let oneTime: Stripe.Price;
      let euro: Stripe.Price;
      let archived: Stripe.Price;

      beforeAll(async () => {
        catalog = await newProduct();
        licensed = await stripe.prices.create(licensedPriceParams(catalog.id));
        yearly = await stripe.prices.create(licensedPriceParams(catalog.id, { recurring: { interval: 'year' } }));
        metered = await stripe.prices.create(meteredPriceParams(catalog.id, meter.id));
        oneTime = await stripe.prices.create(oneTimePriceParams(catalog.id));
        euro = await stripe.prices.create(licensedPriceParams(catalog.id, { currency: 'eur' }));
        archived = await stripe.prices.create(licensedPriceParams(catalog.id, { active: false }));
      });
      const list = async (params: Stripe.PriceListParams) => ids((await stripe.prices.list({ product: catalog.id, limit: 100, ...params })).data);

      it("lists a product's active prices, newest first", async () => {
        expect(await list({})).toEqual(ids([euro, oneTime, metered, yearly, licensed]));
      });

      it('lists inactive prices with active=false', async () => {
        expect(await list({ active: false })).toEqual([archived.id]);
        expect(ids((await stripe.prices.list({ active: false, limit: 100 })).data)).toContain(archived.id);
        expect(ids((await stripe.prices.list({ limit: 100 })).data)).not.toContain(archived.id);
      });

      it('filters by currency, type, recurring[usage_type] and recurring[interval]', async () => {
        expect(await list({ currency: 'eur' })).toEqual([euro.id]);
        expect(await list({ type: 'one_time' })).toEqual([oneTime.id]);
        expect(await list({ type: 'recurring' })).toEqual(ids([euro, metered, yearly, licensed]));
        expect(await list({ recurring: { usage_type: 'metered' } })).toEqual([metered.id]);
        expect(await list({ recurring: { interval: 'year' } })).toEqual([yearly.id]);
        expect(await list({ recurring: { meter: meter.id } })).toEqual([metered.id]);
      });

      it('filters across products without a product', async () => {
        const all = ids((await stripe.prices.list({ currency: 'eur', limit: 100 })).data);
        expect(all).toContain(euro.id);
        expect(all).not.toContain(licensed.id);
      });

      it("auto-paginates a product's prices", async () => {
        const walked: string[] = [];
        for await (const price of stripe.prices.list({ product: catalog.id, limit: 2 })) walked.push(price.id);
        expect(walked).toEqual(ids([euro, oneTime, metered, yearly, licensed]));
        const page = await stripe.prices.list({ product: catalog.id, limit: 2, starting_after: metered.id });
        expect(ids(page.data)).toEqual(ids([yearly, licensed]));
        expect(page.has_more).toBe(false);
      });
    });
  });

  describe('bad input', () => {
    let target: Stripe.Product;
    let takenKey: string;
    let baseline: Stripe.Price;
    /** A second price of `target`, without a lookup key. */
    let spare: Stripe.Price;

    beforeAll(async () => {
      target = await newProduct();
      takenKey = unique('taken');
      baseline = await stripe.prices.create(licensedPriceParams(target.id, { lookup_key: takenKey }));
      spare = await stripe.prices.create(licensedPriceParams(target.id, { active: false }));
    });

    /** Everything a rejected request could have written: products, prices and lookup keys. */
    const snapshot = async () => {
      const [products, active, inactive] = await Promise.all([
        stripe.products.list({ limit: 100 }),
        stripe.prices.list({ limit: 100 }),
        stripe.prices.list({ active: false, limit: 100 }),
      ]);
      return { products: products.data.map((p) => plain(p)), prices: [...active.data, ...inactive.data].map((p) => plain(p)), ofTarget: await pricesOf(target) };
    };
    const create = (params: Partial<Stripe.PriceCreateParams> | Record<string, unknown>) =>
      stripe.prices.create(loose({ ...licensedPriceParams(target.id), ...params }));
    const createWithout = (name: keyof Stripe.PriceCreateParams, overrides: Record<string, unknown> = {}) => {
      const params: Record<string, unknown> = { ...licensedPriceParams(target.id), ...overrides };
      delete params[name];
      return stripe.prices.create(loose(params));
    };
    const tiered = (tiers: unknown, overrides: Record<string, unknown> = {}) =>
      create({ billing_scheme: 'tiered', tiers_mode: 'graduated', unit_amount: undefined, tiers, ...overrides });

    describe('prices.create', () => {
      const cases: Case[] = [
        { name: 'no currency', send: () => createWithout('currency'), param: 'currency', code: 'parameter_missing' },
        { name: 'an unknown currency', send: () => create({ currency: 'usx' }), param: 'currency' },
        { name: 'neither product nor product_data', send: () => createWithout('product'), param: 'product', code: 'parameter_missing' },
        { name: 'both product and product_data', send: () => create({ product_data: { name: 'Twice' } }), param: 'product_data' },
        {
          name: 'product_data without a name',
          send: () => createWithout('product', { product_data: { metadata: { a: '1' } } }),
          param: 'product_data[name]',
          code: 'parameter_missing',
        },
        {
          name: 'product_data with a description (not a product_data field)',
          send: () => createWithout('product', { product_data: { name: 'Inline', description: 'no' } }),
          param: 'product_data[description]',
          code: 'parameter_unknown',
        },
        { name: 'a per_unit price without an amount', send: () => createWithout('unit_amount'), param: 'unit_amount', code: 'parameter_missing' },
        { name: 'both unit_amount and unit_amount_decimal', send: () => create({ unit_amount_decimal: '10.5' }), param: 'unit_amount_decimal' },
        { name: 'a negative unit_amount', send: () => create({ unit_amount: -1 }), param: 'unit_amount' },
        { name: 'a fractional unit_amount', send: () => create({ unit_amount: '10.5' }), param: 'unit_amount' },
        {
          name: 'a unit_amount_decimal with 13 decimal places',
          send: () => create({ unit_amount: undefined, unit_amount_decimal: '0.0000000000001' }),
          param: 'unit_amount_decimal',
        },
        { name: 'a unit_amount_decimal that is not a number', send: () => create({ unit_amount: undefined, unit_amount_decimal: 'ten' }), param: 'unit_amount_decimal' },
        { name: 'a negative unit_amount_decimal', send: () => create({ unit_amount: undefined, unit_amount_decimal: '-1.5' }), param: 'unit_amount_decimal' },
        { name: 'recurring without interval', send: () => create({ recurring: { interval_count: 1 } }), param: 'recurring[interval]', code: 'parameter_missing' },
        { name: 'an unknown interval', send: () => create({ recurring: { interval: 'fortnight' } }), param: 'recurring[interval]' },
        { name: 'more than three years of months', send: () => create({ recurring: { interval: 'month', interval_count: 37 } }), param: 'recurring[interval_count]' },
        { name: 'more than three years of days', send: () => create({ recurring: { interval: 'day', interval_count: 1096 } }), param: 'recurring[interval_count]' },
        { name: 'an interval_count of 0', send: () => create({ recurring: { interval: 'year', interval_count: 0 } }), param: 'recurring[interval_count]' },
        { name: 'an unknown usage_type', send: () => create({ recurring: { interval: 'month', usage_type: 'prepaid' } }), param: 'recurring[usage_type]' },
        {
          name: 'a metered price without a meter',
          send: () => create({ recurring: { interval: 'month', usage_type: 'metered' } }),
          param: 'recurring[meter]',
          code: 'parameter_missing',
        },
        { name: 'a licensed price with a meter', send: () => create({ recurring: { interval: 'month', meter: meter.id } }), param: 'recurring[meter]' },
        { name: 'a metered price on an inactive meter', send: () => stripe.prices.create(meteredPriceParams(target.id, inactiveMeter.id)), param: 'recurring[meter]' },
        { name: 'an unknown recurring parameter', send: () => create({ recurring: { interval: 'month', aggregate_usage: 'sum' } }), param: 'recurring[aggregate_usage]', code: 'parameter_unknown' },
        { name: 'an unknown billing_scheme', send: () => create({ billing_scheme: 'package' }), param: 'billing_scheme' },
        { name: 'a tiered price without tiers_mode', send: () => tiered([{ up_to: 'inf', unit_amount: 1 }], { tiers_mode: undefined }), param: 'tiers_mode', code: 'parameter_missing' },
        { name: 'a tiered price without tiers', send: () => tiered(undefined), param: 'tiers', code: 'parameter_missing' },
        { name: 'a tiered price with a unit_amount', send: () => tiered([{ up_to: 'inf', unit_amount: 1 }], { unit_amount: 5 }), param: 'unit_amount' },
        { name: 'tiers on a per_unit price', send: () => create({ tiers: [{ up_to: 'inf', unit_amount: 1 }] }), param: 'tiers' },
        { name: 'tiers_mode on a per_unit price', send: () => create({ tiers_mode: 'volume' }), param: 'tiers_mode' },
        { name: 'an unknown tiers_mode', send: () => tiered([{ up_to: 'inf', unit_amount: 1 }], { tiers_mode: 'stairstep' }), param: 'tiers_mode' },
        {
          name: 'tiers out of order',
          send: () => tiered([{ up_to: 100, unit_amount: 2 }, { up_to: 100, unit_amount: 1 }, { up_to: 'inf', unit_amount: 0 }]),
          param: 'tiers[1][up_to]',
        },
        { name: 'a last tier that is not inf', send: () => tiered([{ up_to: 10, unit_amount: 2 }, { up_to: 100, unit_amount: 1 }]), param: 'tiers[1][up_to]' },
        { name: 'an inf tier before the last', send: () => tiered([{ up_to: 'inf', unit_amount: 2 }, { up_to: 'inf', unit_amount: 1 }]), param: 'tiers[0][up_to]' },
        { name: 'an up_to that is neither an integer nor inf', send: () => tiered([{ up_to: 'lots', unit_amount: 2 }]), param: 'tiers[0][up_to]' },
        { name: 'a tier without up_to', send: () => tiered([{ unit_amount: 2 }]), param: 'tiers[0][up_to]', code: 'parameter_missing' },
        { name: 'a tier without any amount', send: () => tiered([{ up_to: 10, unit_amount: 1 }, { up_to: 'inf' }]), param: 'tiers[1][unit_amount]' },
        {
          name: 'a tier with flat_amount and flat_amount_decimal',
          send: () => tiered([{ up_to: 'inf', flat_amount: 1, flat_amount_decimal: '1.5' }]),
          param: 'tiers[0][flat_amount_decimal]',
        },
        { name: 'a tier unit_amount_decimal with 13 places', send: () => tiered([{ up_to: 'inf', unit_amount_decimal: '1.0000000000001' }]), param: 'tiers[0][unit_amount_decimal]' },
        { name: 'an unknown tier parameter', send: () => tiered([{ up_to: 'inf', unit_amount: 1, package: 5 }]), param: 'tiers[0][package]', code: 'parameter_unknown' },
        {
          name: 'transform_quantity with tiers',
          send: () => tiered([{ up_to: 'inf', unit_amount: 1 }], { transform_quantity: { divide_by: 10, round: 'up' } }),
          param: 'transform_quantity',
        },
        { name: 'a divide_by of 0', send: () => create({ transform_quantity: { divide_by: 0, round: 'up' } }), param: 'transform_quantity[divide_by]' },
        { name: 'a transform_quantity without round', send: () => create({ transform_quantity: { divide_by: 10 } }), param: 'transform_quantity[round]', code: 'parameter_missing' },
        { name: 'an unknown rounding', send: () => create({ transform_quantity: { divide_by: 10, round: 'nearest' } }), param: 'transform_quantity[round]' },
        { name: 'a lookup_key over 200 characters', send: () => create({ lookup_key: long(201) }), param: 'lookup_key' },
        { name: 'a lookup_key another price uses', send: () => create({ lookup_key: takenKey }), param: 'lookup_key', code: 'resource_already_exists' },
        { name: 'an unknown tax_behavior', send: () => create({ tax_behavior: 'sometimes' }), param: 'tax_behavior' },
        { name: 'a metadata value over 500 characters', send: () => create({ metadata: { note: long(501) } }), param: 'metadata[note]' },
        { name: 'an unknown parameter', send: () => create({ custom_unit_amount: { enabled: true } }), param: 'custom_unit_amount', code: 'parameter_unknown' },
      ];
      it.each(cases)('rejects $name (400, param $param) and writes nothing', async ({ send, param, code }) => {
        const before = await snapshot();
        await expectInvalid(send(), param, code);
        expect(await snapshot()).toEqual(before);
      });
    });

    describe('prices.update', () => {
      const cases: Case[] = [
        { name: 'a unit_amount (prices are immutable)', send: () => stripe.prices.update(baseline.id, loose({ unit_amount: 5 })), param: 'unit_amount', code: 'parameter_unknown' },
        { name: 'a recurring change', send: () => stripe.prices.update(baseline.id, loose({ recurring: { interval: 'year' } })), param: 'recurring', code: 'parameter_unknown' },
        { name: 'a nickname over 5000 characters', send: () => stripe.prices.update(baseline.id, { nickname: long(5001) }), param: 'nickname' },
        { name: 'an active that is not a boolean', send: () => stripe.prices.update(baseline.id, loose({ active: 'maybe' })), param: 'active' },
        {
          name: 'a lookup key another price uses',
          send: () => stripe.prices.update(spare.id, { lookup_key: takenKey, nickname: 'changed' }),
          param: 'lookup_key',
          code: 'resource_already_exists',
        },
        { name: 'new tiers', send: () => stripe.prices.update(baseline.id, loose({ tiers: [{ up_to: 'inf', unit_amount: 1 }] })), param: 'tiers', code: 'parameter_unknown' },
      ];
      it.each(cases)('rejects $name (400, param $param) and changes nothing', async ({ send, param, code }) => {
        const before = await snapshot();
        await expectInvalid(send(), param, code);
        expect(await snapshot()).toEqual(before);
        expect(ids((await stripe.prices.list({ lookup_keys: [takenKey] })).data)).toEqual([baseline.id]);
      });
    });

    describe('products', () => {
      const cases: Case[] = [
        { name: 'a product without a name', send: () => stripe.products.create(loose({ description: 'nameless' })), param: 'name', code: 'parameter_missing' },
        { name: 'a name over 250 characters', send: () => newProduct({ name: long(251) }), param: 'name' },
        { name: 'a custom id with a slash', send: () => newProduct({ id: 'prod/1' }), param: 'id' },
        { name: 'an active that is not a boolean', send: () => newProduct(loose({ active: 'yes' })), param: 'active' },
        { name: 'an unknown parameter', send: () => newProduct(loose({ currency: 'usd' })), param: 'currency', code: 'parameter_unknown' },
        { name: 'an update with an empty name', send: () => stripe.products.update(target.id, { name: '' }), param: 'name' },
        { name: 'an update with an unknown parameter', send: () => stripe.products.update(target.id, loose({ prices: ['x'] })), param: 'prices', code: 'parameter_unknown' },
      ];
      it.each(cases)('rejects $name (400, param $param) and writes nothing', async ({ send, param, code }) => {
        const before = await snapshot();
        await expectInvalid(send(), param, code);
        expect(await snapshot()).toEqual(before);
      });
    });

    describe('list parameters', () => {
      const cases: Case[] = [
        { name: 'more than 10 lookup_keys', send: () => stripe.prices.list({ lookup_keys: Array.from({ length: 11 }, (_, i) => `k${i}`) }), param: 'lookup_keys' },
        { name: 'an unknown price type', send: () => stripe.prices.list(loose({ type: 'weekly' })), param: 'type' },
        { name: 'an unknown recurring[usage_type]', send: () => stripe.prices.list(loose({ recurring: { usage_type: 'prepaid' } })), param: 'recurring[usage_type]' },
        { name: 'an unknown currency', send: () => stripe.prices.list({ currency: 'usx' }), param: 'currency' },
        { name: 'a prices limit of 101', send: () => stripe.prices.list({ limit: 101 }), param: 'limit' },
        { name: 'a products active that is not a boolean', send: () => stripe.products.list(loose({ active: 'maybe' })), param: 'active' },
        { name: 'an unknown products list parameter', send: () => stripe.products.list(loose({ sort: 'asc' })), param: 'sort', code: 'parameter_unknown' },
      ];
      it.each(cases)('rejects $name (400, param $param)', async ({ send, param, code }) => {
        await expectInvalid(send(), param, code);
      });

      it('answers 400 (param starting_after) for an unknown cursor', async () => {
        await expectStripeError(stripe.prices.list({ product: target.id, starting_after: 'price_unknown' }), Stripe.errors.StripeInvalidRequestError, {
          statusCode: 400,
          param: 'starting_after',
        });
      });
    });
  });
});
