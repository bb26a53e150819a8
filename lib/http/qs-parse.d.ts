/**
 * qs's parser alone (`qs/lib/parse.js`, the module behind `qs.parse`): the server only parses,
 * and `import qs from 'qs'` would bundle its stringifier too (qs is CommonJS, which bundlers
 * cannot tree-shake). Typed as `qs.parse`.
 */
declare module 'qs/lib/parse.js' {
  import type { parse } from 'qs';
  const parseQuery: typeof parse;
  export default parseQuery;
}
