import path from 'node:path';
import ts from 'typescript';

/**
 * The properties the `stripe` SDK's type definitions declare on one of its object types
 * (`Customer`, `Invoice`, `Subscription`, `SubscriptionItem`), read with the TypeScript compiler:
 * `required` are the ones every object has (possibly null), `optional` the expandable or
 * feature-specific ones marked `?`.
 */
export function stripeObjectKeys(typeNames: readonly string[]): Record<string, { required: string[]; optional: string[] }> {
  const root = path.resolve(import.meta.dirname, '../..');
  const file = path.join(root, '__stripe_shapes__.ts');
  const text = `import type Stripe from 'stripe';\n${typeNames.map((name) => `export type T_${name} = Stripe.${name};`).join('\n')}\n`;
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? text : readFile(name));
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => (path.resolve(name) === file ? ts.createSourceFile(name, text, version) : getSourceFile(name, version));
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const result: Record<string, { required: string[]; optional: string[] }> = {};
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const type = checker.getTypeAtLocation(statement.name);
    const properties = checker.getPropertiesOfType(type);
    const name = statement.name.text.slice(2);
    result[name] = {
      required: properties.filter((p) => !(p.flags & ts.SymbolFlags.Optional)).map((p) => p.name).sort(),
      optional: properties.filter((p) => p.flags & ts.SymbolFlags.Optional).map((p) => p.name).sort(),
    };
  }
  return result;
}
