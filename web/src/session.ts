/** The signed-in key: in sessionStorage only (gone with the tab), never in localStorage, a URL or a log. */
const KEY = 'meterline.key';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};
