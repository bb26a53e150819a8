import { createContext } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { canWrite, createApi, modeOfKey, type Api } from './api';
import { session } from './session';
import { SignIn } from './pages/signin/sign-in';
import { Home } from './pages/home/home';
import { CustomerList } from './pages/customers/customer-list';
import { CustomerPage } from './pages/customers/customer-page';
import { InvoiceList } from './pages/invoices/invoice-list';
import { InvoicePage } from './pages/invoices/invoice-page';
import { MeterList } from './pages/meters/meter-list';
import { MeterPage } from './pages/meters/meter-page';
import { ClockList } from './pages/clocks/clock-list';
import { ClockPage } from './pages/clocks/clock-page';
import { AlertList } from './pages/alerts/alert-list';
import { Catalog } from './pages/catalog/catalog';
import { Events } from './pages/events';
import { Webhooks } from './pages/webhooks';

export interface Console {
  api: Api;
  mode: 'test' | 'live';
  /** False for restricted keys: every action is hidden. */
  canWrite: boolean;
}

const ConsoleContext = createContext<Console | null>(null);

/** The signed-in console: its API client, mode and permissions. */
export function useConsole(): Console {
  return useContext(ConsoleContext)!;
}

/** The route: the part of the location hash after `#` (`/customers/cus_1?status=open`). */
function useRoute() {
  const read = () => location.hash.replace(/^#/, '') || '/';
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  const [path = '/', query = ''] = route.split('?');
  return { segments: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

const NAV = [
  ['#/', 'Home'],
  ['#/customers', 'Customers'],
  ['#/invoices', 'Invoices'],
  ['#/meters', 'Meters'],
  ['#/catalog', 'Products'],
  ['#/alerts', 'Alerts'],
  ['#/clocks', 'Test clocks'],
  ['#/events', 'Events'],
  ['#/webhooks', 'Webhooks'],
] as const;

function Page(props: { segments: string[]; query: URLSearchParams }) {
  const [section, id] = props.segments;
  switch (section) {
    case undefined:
      return <Home />;
    case 'customers':
      return id ? <CustomerPage id={id} /> : <CustomerList />;
    case 'invoices':
      return id ? <InvoicePage id={id} /> : <InvoiceList status={props.query.get('status') ?? undefined} customer={props.query.get('customer') ?? undefined} />;
    case 'meters':
      return id ? <MeterPage id={id} /> : <MeterList />;
    case 'alerts':
      return <AlertList />;
    case 'catalog':
      return <Catalog />;
    case 'clocks':
      return id ? <ClockPage id={id} /> : <ClockList />;
    case 'events':
      return <Events id={id} query={props.query} />;
    case 'webhooks':
      return <Webhooks id={id} />;
    default:
      return <p role="alert">No such page.</p>;
  }
}

export function App() {
  const [key, setKey] = useState(session.key());
  const signOut = () => {
    session.signOut();
    setKey(null);
  };
  const value = useMemo<Console | null>(() => (key ? { api: createApi(key, signOut), mode: modeOfKey(key) ?? 'test', canWrite: canWrite(key) } : null), [key]);
  const { segments, query } = useRoute();
  if (!value) {
    return (
      <SignIn
        onSignIn={(k) => {
          session.signIn(k);
          setKey(k);
        }}
      />
    );
  }
  const current = `#/${segments[0] ?? ''}`;
  return (
    <ConsoleContext.Provider value={value}>
      <header class={`top mode-${value.mode}`}>
        <span class="brand">Meterline</span>
        <span class="mode" role="status">
          {value.mode === 'test' ? 'Test mode' : 'Live mode'}
        </span>
        {!value.canWrite && <span class="mode">Read only</span>}
        <nav aria-label="Sections">
          {NAV.map(([href, label]) => (
            <a href={href} aria-current={href === current || (href === '#/' && current === '#/') ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <Page segments={segments} query={query} />
      </main>
    </ConsoleContext.Provider>
  );
}
