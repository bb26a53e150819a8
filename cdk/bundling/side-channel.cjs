'use strict';
/**
 * Stands in for `side-channel` in the Lambda bundles (see lambda-bundle.ts).
 *
 * qs, the form body parser, keeps a little data beside the objects it builds (arrays past
 * arrayLimit, conflicting keys) with side-channel, a package that finds WeakMap, Map or a list
 * fallback in any JavaScript engine through a tower of polyfill helpers (get-intrinsic, call-bound,
 * object-inspect and a dozen more): about 24 KB of every bundle that parses forms. Node 22 has
 * WeakMap and Map, so the same channel is a few lines: the same methods, object keys held weakly,
 * other keys in a Map. CommonJS, as qs requires it. Tests and the local stack run unbundled, with
 * the package itself; test/unit/lambda-bundle.test.ts checks qs parses the same with either.
 */

/** @param {unknown} key */
const isObject = (key) => (typeof key === 'object' && key !== null) || typeof key === 'function';

/** A new channel: `get`, `set`, `has`, `delete`, and `assert` (a TypeError when the key has no value). */
module.exports = function getSideChannel() {
  const objects = new WeakMap();
  const others = new Map();
  const channel = {
    assert(key) {
      if (!channel.has(key)) throw new TypeError(`Side channel does not contain ${isObject(key) ? 'the given object key' : String(key)}`);
    },
    delete: (key) => (isObject(key) ? objects.delete(key) : others.delete(key)),
    get: (key) => (isObject(key) ? objects.get(key) : others.get(key)),
    has: (key) => (isObject(key) ? objects.has(key) : others.has(key)),
    set(key, value) {
      if (isObject(key)) objects.set(key, value);
      else others.set(key, value);
    },
  };
  return channel;
};
