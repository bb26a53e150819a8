import { useState } from 'preact/hooks';
import { useConsole } from '../../app';
import type { List } from '../../api';
import { money, unitPrice } from '../../format';
import type { Meter } from '../../model';
import { Loaded, Outcome, StatusBadge, Table, useLoad, useOutcome } from '../../ui';

interface Product {
  id: string;
  name: string;
  active: boolean;
}

interface Tier {
  up_to: number | null;
  unit_amount_decimal: string | null;
  flat_amount: number | null;
}

interface CatalogPrice {
  id: string;
  product: string;
  nickname: string | null;
  currency: string;
  active: boolean;
  billing_scheme: 'per_unit' | 'tiered';
  tiers_mode: 'graduated' | 'volume' | null;
  tiers?: Tier[];
  unit_amount_decimal: string | null;
  lookup_key: string | null;
  transform_quantity: { divide_by: number; round: string } | null;
  recurring: { interval: string; interval_count: number; usage_type: 'licensed' | 'metered'; meter: string | null } | null;
}

/** How a price charges, in words (tiers are shown as their own table). */
function describe(price: CatalogPrice, meters: Map<string, Meter>): string {
  const amount = price.billing_scheme === 'tiered' ? `${price.tiers_mode} tiers` : `${unitPrice(price.unit_amount_decimal, price.currency)} per unit`;
  const pack = price.transform_quantity ? ` per ${price.transform_quantity.divide_by} (rounded ${price.transform_quantity.round})` : '';
  if (!price.recurring) return `${amount}${pack}, one time`;
  const every = price.recurring.interval_count > 1 ? `every ${price.recurring.interval_count} ${price.recurring.interval}s` : `per ${price.recurring.interval}`;
  const usage = price.recurring.usage_type === 'metered' ? `, metered on ${meters.get(price.recurring.meter ?? '')?.display_name ?? price.recurring.meter}` : ', licensed';
  return `${amount}${pack} ${every}${usage}`;
}

/** Products and their prices (tiers as tables), with forms for a product and a per-unit price. A fixed number of API calls. */
export function Catalog() {
  const { api, canWrite } = useConsole();
  const state = useLoad(async () => {
    const [products, prices, meters] = await Promise.all([
      api.get<List<Product>>('/v1/products', { limit: 100 }),
      api.all<CatalogPrice>('/v1/prices', {}, 500),
      api.get<List<Meter>>('/v1/billing/meters', { limit: 100, status: 'active' }),
    ]);
    return { products: products.data, prices, meters: meters.data };
  }, []);
  return (
    <section>
      <h1>Products and prices</h1>
      <Loaded state={state}>
        {({ products, prices, meters }) => {
          const meterById = new Map(meters.map((m) => [m.id, m]));
          return (
            <>
              {products.length === 0 && <p class="muted">No products yet.</p>}
              {products.map((product) => (
                <section class="panel" aria-labelledby={`product-${product.id}`}>
                  <h2 id={`product-${product.id}`}>
                    {product.name} {!product.active && <StatusBadge status="inactive" />}
                  </h2>
                  <Table
                    rows={prices.filter((p) => p.product === product.id)}
                    empty="No prices."
                    caption={`Prices of ${product.name}`}
                    columns={[
                      { label: 'Price', cell: (p) => p.nickname ?? p.id },
                      { label: 'Charges', cell: (p) => describe(p, meterById) },
                      { label: 'Lookup key', cell: (p) => p.lookup_key ?? '—' },
                      {
                        label: 'Tiers',
                        cell: (p) =>
                          p.tiers ? (
                            <Table
                              rows={p.tiers.map((t, i) => ({ ...t, id: String(i) }))}
                              empty=""
                              columns={[
                                { label: 'Up to', num: true, cell: (t) => t.up_to ?? '∞' },
                                { label: 'Per unit', num: true, cell: (t) => unitPrice(t.unit_amount_decimal, p.currency) },
                                { label: 'Flat', num: true, cell: (t) => (t.flat_amount === null ? '—' : money(t.flat_amount, p.currency)) },
                              ]}
                            />
                          ) : (
                            '—'
                          ),
                      },
                    ]}
                  />
                </section>
              ))}
              {canWrite && <NewProduct onCreated={state.reload} />}
              {canWrite && products.length > 0 && <NewPrice products={products} meters={meters} onCreated={state.reload} />}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function NewProduct(props: { onCreated: () => void }) {
  const { api } = useConsole();
  const { message, run } = useOutcome();
  return (
    <form
      class="panel"
      aria-labelledby="new-product"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.target as HTMLFormElement;
        void run(async () => {
          const product = await api.post<Product>('/v1/products', { name: new FormData(form).get('name') });
          form.reset();
          props.onCreated();
          return `Created ${product.name}.`;
        });
      }}
    >
      <h2 id="new-product">New product</h2>
      <label for="product-name">Product name</label>
      <input id="product-name" name="name" required maxLength={250} />
      <button type="submit" class="primary">
        Create product
      </button>
      <Outcome message={message} />
    </form>
  );
}

type Model = 'per_unit' | 'package' | 'graduated' | 'volume';

/** A tier as the form holds it: empty `upTo` is the last, unbounded tier. */
interface TierRow {
  upTo: string;
  unit: string;
  flat: string;
}

/** The price parameters of a pricing model, as Stripe's API takes them. */
function pricing(model: Model, form: FormData, tiers: TierRow[]): Record<string, unknown> {
  if (model === 'per_unit') return { unit_amount_decimal: form.get('amount') };
  if (model === 'package') return { unit_amount_decimal: form.get('amount'), transform_quantity: { divide_by: form.get('divide_by'), round: form.get('round') } };
  return {
    billing_scheme: 'tiered',
    tiers_mode: model,
    tiers: Object.fromEntries(
      tiers.map((t, i) => [i, { up_to: t.upTo.trim() || 'inf', ...(t.unit.trim() ? { unit_amount_decimal: t.unit.trim() } : {}), ...(t.flat.trim() ? { flat_amount: t.flat.trim() } : {}) }]),
    ),
  };
}

function NewPrice(props: { products: Product[]; meters: Meter[]; onCreated: () => void }) {
  const { api } = useConsole();
  const [usage, setUsage] = useState<'licensed' | 'metered'>('metered');
  const [model, setModel] = useState<Model>('per_unit');
  const [tiers, setTiers] = useState<TierRow[]>([
    { upTo: '1000', unit: '', flat: '' },
    { upTo: '', unit: '', flat: '' },
  ]);
  const { message, run } = useOutcome();
  const setTier = (i: number, field: keyof TierRow, value: string) => setTiers(tiers.map((t, j) => (j === i ? { ...t, [field]: value } : t)));
  return (
    <form
      class="panel"
      aria-labelledby="new-price"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.target as HTMLFormElement);
        void run(async () => {
          const price = await api.post<CatalogPrice>('/v1/prices', {
            product: form.get('product'),
            currency: form.get('currency'),
            nickname: form.get('nickname') || undefined,
            ...pricing(model, form, tiers),
            recurring: { interval: form.get('interval'), usage_type: usage, ...(usage === 'metered' ? { meter: form.get('meter') } : {}) },
          });
          props.onCreated();
          return `Created ${price.nickname ?? price.id}.`;
        });
      }}
    >
      <h2 id="new-price">New price</h2>
      <label for="price-product">Product</label>
      <select id="price-product" name="product">
        {props.products.map((p) => (
          <option value={p.id}>{p.name}</option>
        ))}
      </select>
      <label for="price-nickname">Nickname</label>
      <input id="price-nickname" name="nickname" />
      <label for="price-usage">Usage</label>
      <select id="price-usage" value={usage} onChange={(e) => setUsage((e.target as HTMLSelectElement).value as typeof usage)}>
        <option value="metered">Metered (billed in arrears)</option>
        <option value="licensed">Licensed (billed in advance)</option>
      </select>
      {usage === 'metered' && (
        <>
          <label for="price-meter">Meter</label>
          <select id="price-meter" name="meter">
            {props.meters.map((m) => (
              <option value={m.id}>{m.display_name}</option>
            ))}
          </select>
        </>
      )}
      <label for="price-currency">Currency</label>
      <input id="price-currency" name="currency" value="usd" required />
      <label for="price-model">Pricing model</label>
      <select id="price-model" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value as Model)}>
        <option value="per_unit">Per unit</option>
        <option value="package">Package</option>
        <option value="graduated">Graduated tiers</option>
        <option value="volume">Volume tiers</option>
      </select>
      {(model === 'per_unit' || model === 'package') && (
        <>
          <label for="price-amount">{model === 'package' ? 'Amount per package' : 'Unit amount'} (minor units, decimals allowed)</label>
          <input id="price-amount" name="amount" inputMode="decimal" required />
        </>
      )}
      {model === 'package' && (
        <>
          <label for="price-divide-by">Units per package</label>
          <input id="price-divide-by" name="divide_by" inputMode="numeric" required />
          <label for="price-round">Round partial packages</label>
          <select id="price-round" name="round">
            <option value="up">Up</option>
            <option value="down">Down</option>
          </select>
        </>
      )}
      {(model === 'graduated' || model === 'volume') && (
        <fieldset>
          <legend>Tiers (minor units; leave "up to" empty on the last)</legend>
          {tiers.map((t, i) => (
            <div class="controls">
              <label for={`tier-${i}-up-to`}>Tier {i + 1} up to</label>
              <input id={`tier-${i}-up-to`} value={t.upTo} inputMode="numeric" onInput={(e) => setTier(i, 'upTo', (e.target as HTMLInputElement).value)} />
              <label for={`tier-${i}-unit`}>Tier {i + 1} per unit</label>
              <input id={`tier-${i}-unit`} value={t.unit} inputMode="decimal" onInput={(e) => setTier(i, 'unit', (e.target as HTMLInputElement).value)} />
              <label for={`tier-${i}-flat`}>Tier {i + 1} flat</label>
              <input id={`tier-${i}-flat`} value={t.flat} inputMode="numeric" onInput={(e) => setTier(i, 'flat', (e.target as HTMLInputElement).value)} />
            </div>
          ))}
          <button type="button" onClick={() => setTiers([...tiers.slice(0, -1), { upTo: '', unit: '', flat: '' }, tiers.at(-1)!])}>
            Add a tier
          </button>
        </fieldset>
      )}
      <label for="price-interval">Interval</label>
      <select id="price-interval" name="interval">
        <option value="month">Month</option>
        <option value="year">Year</option>
        <option value="week">Week</option>
        <option value="day">Day</option>
      </select>
      <button type="submit" class="primary">
        Create price
      </button>
      <Outcome message={message} />
    </form>
  );
}
