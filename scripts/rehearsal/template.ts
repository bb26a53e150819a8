/** A CloudFormation template as CDK synthesizes it (JSON). */
export interface CfnTemplate {
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
  readonly Resources: Record<string, CfnResource>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** A value the rehearsal cannot work out (an intrinsic function it does not know, a missing attribute). */
export class Unresolvable extends Error {}

/** What `Ref` and `Fn::GetAtt` evaluate to in a deployed stack. */
export interface Environment {
  /** Pseudo parameters (AWS::Region, ...) and template parameters, by name. */
  readonly parameters: Readonly<Record<string, string>>;
  /** `Ref` of a resource. */
  ref(logicalId: string): Promise<string | undefined>;
  /** `Fn::GetAtt` of a resource. */
  getAtt(logicalId: string, attribute: string): Promise<string | undefined>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Evaluates the intrinsic functions CDK writes into resource properties (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Select, Fn::Split, Fn::Sub) against a deployed stack; throws Unresolvable for
 * anything else.
 */
export async function resolve(value: unknown, env: Environment): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((item) => resolve(item, env)));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  const [key] = keys;
  if (keys.length === 1 && key && (key === 'Ref' || key.startsWith('Fn::'))) return intrinsic(key, value[key], env);
  const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v, env)] as const));
  return Object.fromEntries(entries);
}

/** `resolve` for a value that must come out as a string. */
export async function resolveString(value: unknown, env: Environment): Promise<string> {
  const resolved = await resolve(value, env);
  if (typeof resolved !== 'string' && typeof resolved !== 'number') {
    throw new Unresolvable(`${JSON.stringify(value)} is not a string`);
  }
  return String(resolved);
}

async function intrinsic(name: string, argument: unknown, env: Environment): Promise<unknown> {
  switch (name) {
    case 'Ref': {
      const target = String(argument);
      const parameter = env.parameters[target];
      if (parameter !== undefined) return parameter;
      const id = await env.ref(target);
      if (id === undefined || id === '') throw new Unresolvable(`Ref ${target}`);
      return id;
    }
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split('.');
      const value = await env.getAtt(String(logicalId), String(attribute));
      if (value === undefined) throw new Unresolvable(`Fn::GetAtt ${logicalId}.${attribute}`);
      return value;
    }
    case 'Fn::Join': {
      const [separator, parts] = argument as [string, unknown[]];
      return ((await resolve(parts, env)) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = argument as [unknown, unknown];
      const items = (await resolve(list, env)) as unknown[];
      return items[Number(await resolve(index, env))];
    }
    case 'Fn::Split': {
      const [separator, text] = argument as [string, unknown];
      return (await resolveString(text, env)).split(separator);
    }
    case 'Fn::Sub': {
      const [text, variables] = (Array.isArray(argument) ? argument : [argument, {}]) as [string, Record<string, unknown>];
      let result = '';
      let rest = text;
      for (let match = /\$\{([^}!]+)\}/.exec(rest); match; match = /\$\{([^}!]+)\}/.exec(rest)) {
        const variable = match[1]!;
        const value =
          variable in variables
            ? await resolveString(variables[variable], env)
            : variable.includes('.')
              ? await resolveString({ 'Fn::GetAtt': variable.split('.') }, env)
              : await resolveString({ Ref: variable }, env);
        result += rest.slice(0, match.index) + value;
        rest = rest.slice(match.index + match[0].length);
      }
      return result + rest;
    }
    default:
      throw new Unresolvable(name);
  }
}

/** The logical id an `Fn::GetAtt` or `Ref` points at, for the report; undefined for anything else. */
export function referencedId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Whether moto's CloudFormation can create a resource type (`createdTypes` from moto itself). */
export const motoCreates = (type: string, createdTypes: ReadonlySet<string>): boolean =>
  createdTypes.has(type) || type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/**
 * Moto workarounds, applied to the copy of the template that is deployed:
 * - moto 5.2.5 resolves `Ref` of an AWS::Events::EventBus to its internal object (its model has no
 *   physical id), which then breaks every Lambda call that reads the function's environment;
 *   `Fn::GetAtt <bus>.Name` is the same value on AWS (the bus name), and moto resolves it.
 * - moto fails the whole stack on an `Fn::GetAtt` of a resource whose type it cannot create (the
 *   console's CloudFront distribution, say); such a value is deployed as a placeholder string
 *   naming it. (A `Ref` to one comes out as its logical id.)
 * `createdTypes`: the types moto's CloudFormation creates; undefined skips the second workaround.
 */
export function withMotoWorkarounds(
  template: CfnTemplate,
  createdTypes: ReadonlySet<string> | undefined,
): { template: CfnTemplate; notes: string[] } {
  const refAsGetAtt: Record<string, string> = { 'AWS::Events::EventBus': 'Name' };
  const notes: string[] = [];
  const walk = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => walk(item, where));
    if (!isRecord(value)) return value;
    const only = Object.keys(value).length === 1;
    const ref = value.Ref;
    if (only && typeof ref === 'string') {
      const attribute = refAsGetAtt[template.Resources[ref]?.Type ?? ''];
      if (attribute) {
        notes.push(`${where}: Ref ${ref} deployed as Fn::GetAtt ${ref}.${attribute} (the same value on AWS)`);
        return { 'Fn::GetAtt': [ref, attribute] };
      }
    }
    const getAtt = value['Fn::GetAtt'];
    if (only && getAtt && createdTypes) {
      const [target, attribute] = Array.isArray(getAtt) ? getAtt.map(String) : String(getAtt).split('.');
      const type = template.Resources[String(target)]?.Type;
      if (type && !motoCreates(type, createdTypes)) {
        const placeholder = `moto-cannot-create-${target}.${attribute}`;
        notes.push(`${where}: Fn::GetAtt ${target}.${attribute} (${type}) deployed as "${placeholder}"`);
        return placeholder;
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, where)]));
  };
  const sections = Object.entries(template as unknown as Record<string, unknown>).map(([section, body]) => {
    if ((section !== 'Resources' && section !== 'Outputs') || !isRecord(body)) return [section, body];
    const where = (id: string) => (section === 'Outputs' ? `output ${id}` : id);
    // A resource moto does not create is left as it is: nothing of it is deployed.
    const deployed = (item: unknown) =>
      section === 'Outputs' || !createdTypes || motoCreates(String((item as CfnResource).Type), createdTypes);
    return [
      section,
      Object.fromEntries(Object.entries(body).map(([id, item]) => [id, deployed(item) ? walk(item, where(id)) : item])),
    ];
  });
  return { template: Object.fromEntries(sections) as CfnTemplate, notes };
}
