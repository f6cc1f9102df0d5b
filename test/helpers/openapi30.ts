/**
 * What a test can check of an OpenAPI 3.0 document without a validator package: the document's own
 * fields, and every Schema Object in it against the 3.0 dialect (a subset of JSON Schema draft 4/5:
 * one `type` string, `nullable` for null, boolean exclusive bounds, none of the later keywords).
 * Returns one line per problem, naming where it is, so a failing test says what to fix.
 */
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
/** JSON Schema keywords the 3.0 Schema Object does not have (2019-09/2020-12 and draft-6+ ones). */
const NOT_IN_30 = [
  '$id',
  '$schema',
  '$defs',
  'const',
  'examples',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'patternProperties',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
  'prefixItems',
  'contentMediaType',
  'contentEncoding',
  'additionalItems',
];
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export function schemaProblems(schema: unknown, at: string, out: string[] = []): string[] {
  if (!isObj(schema)) {
    out.push(`${at}: a schema must be an object`);
    return out;
  }
  if (typeof schema.$ref === 'string') {
    // In 3.0 a Reference Object's siblings are ignored: whatever sits beside $ref is lost on readers.
    const siblings = Object.keys(schema).filter((k) => k !== '$ref');
    if (siblings.length) out.push(`${at}: keys beside $ref are ignored in OpenAPI 3.0 (${siblings.join(', ')})`);
    return out;
  }
  if ('type' in schema) {
    if (Array.isArray(schema.type)) out.push(`${at}: type is a list (${JSON.stringify(schema.type)}); OpenAPI 3.0 takes one type and nullable: true`);
    else if (typeof schema.type !== 'string' || !TYPES.has(schema.type)) out.push(`${at}: type ${JSON.stringify(schema.type)} is not an OpenAPI 3.0 type`);
    if (schema.type === 'array' && !('items' in schema)) out.push(`${at}: an array schema needs items in OpenAPI 3.0`);
  }
  if ('nullable' in schema && typeof schema.nullable !== 'boolean') out.push(`${at}: nullable must be a boolean`);
  for (const k of ['exclusiveMinimum', 'exclusiveMaximum'])
    if (k in schema && typeof schema[k] !== 'boolean') out.push(`${at}: ${k} is a boolean in OpenAPI 3.0 (a number is 3.1)`);
  for (const k of NOT_IN_30) if (k in schema) out.push(`${at}: ${k} is not an OpenAPI 3.0 schema keyword`);
  if ('required' in schema && !(Array.isArray(schema.required) && schema.required.length > 0)) out.push(`${at}: required must be a non-empty list`);
  if (Array.isArray(schema.enum) && schema.enum.includes(null) && schema.nullable !== true) out.push(`${at}: null in enum without nullable: true`);

  if (isObj(schema.properties)) for (const [k, v] of Object.entries(schema.properties)) schemaProblems(v, `${at}.properties.${k}`, out);
  if ('items' in schema) schemaProblems(schema.items, `${at}.items`, out);
  if (isObj(schema.additionalProperties)) schemaProblems(schema.additionalProperties, `${at}.additionalProperties`, out);
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    if (!(k in schema)) continue;
    const list = schema[k];
    if (!Array.isArray(list) || list.length === 0) out.push(`${at}: ${k} must be a non-empty list`);
    else list.forEach((s, i) => schemaProblems(s, `${at}.${k}[${i}]`, out));
  }
  if ('not' in schema) schemaProblems(schema.not, `${at}.not`, out);
  return out;
}

function mediaProblems(content: unknown, at: string, out: string[]): void {
  if (content === undefined) return;
  if (!isObj(content)) return void out.push(`${at}: content must be a map of media types`);
  for (const [type, media] of Object.entries(content)) {
    if (!isObj(media)) out.push(`${at}.${type}: a media type object`);
    else if ('schema' in media) schemaProblems(media.schema, `${at}.${type}.schema`, out);
  }
}

/** Every problem found in an OpenAPI 3.0 document; none means it holds together as far as checked. */
export function openapi30Problems(doc: unknown): string[] {
  const out: string[] = [];
  if (!isObj(doc)) return ['the document is not an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.0\.\d+$/.test(doc.openapi)) out.push(`openapi: ${JSON.stringify(doc.openapi)} is not 3.0.x`);
  const info = doc.info;
  if (!isObj(info) || typeof info.title !== 'string' || typeof info.version !== 'string') out.push('info: title and version are required strings');
  if (!isObj(doc.paths)) return [...out, 'paths: required'];
  const components = isObj(doc.components) ? doc.components : {};
  const schemas = isObj(components.schemas) ? components.schemas : {};
  for (const [name, s] of Object.entries(schemas)) {
    if (!/^[a-zA-Z0-9.\-_]+$/.test(name)) out.push(`components.schemas.${name}: a component name holds only letters, digits, . - _`);
    schemaProblems(s, `components.schemas.${name}`, out);
  }
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) out.push(`paths.${path}: a path starts with /`);
    if (!isObj(item)) continue;
    const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method) || !isObj(op)) continue;
      const at = `paths.${path}.${method}`;
      const inPath = new Set<string>();
      for (const [i, p] of (Array.isArray(op.parameters) ? op.parameters : []).entries()) {
        if (!isObj(p)) continue;
        const pa = `${at}.parameters[${i}]`;
        if (typeof p.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(String(p.in)))
          out.push(`${pa}: name and in (query, header, path, cookie) are required`);
        if (p.in === 'path') {
          inPath.add(String(p.name));
          if (p.required !== true) out.push(`${pa}: a path parameter must say required: true`);
        }
        if ('schema' in p) schemaProblems(p.schema, `${pa}.schema`, out);
      }
      for (const name of templated) if (!inPath.has(name)) out.push(`${at}: path parameter {${name}} is not declared`);
      if (isObj(op.requestBody)) mediaProblems(op.requestBody.content, `${at}.requestBody.content`, out);
      if (!isObj(op.responses) || Object.keys(op.responses).length === 0) out.push(`${at}: responses required`);
      else
        for (const [code, r] of Object.entries(op.responses)) {
          if (!/^([1-5](\d\d|XX)|default)$/.test(code)) out.push(`${at}.responses.${code}: not a status code`);
          if (!isObj(r)) continue;
          if (typeof r.$ref === 'string') continue;
          if (typeof r.description !== 'string') out.push(`${at}.responses.${code}: description is required`);
          mediaProblems(r.content, `${at}.responses.${code}.content`, out);
        }
    }
  }
  return out;
}
