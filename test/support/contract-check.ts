import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { NextFunction, Request, Response } from 'express';

interface MediaType {
  schema?: object;
}
interface ResponseSpec {
  $ref?: string;
  content?: Record<string, MediaType>;
  headers?: Record<string, { required?: boolean; $ref?: string }>;
}
interface Operation {
  responses: Record<string, ResponseSpec>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { responses?: Record<string, ResponseSpec>; headers?: Record<string, { required?: boolean }> };
}

const DOCUMENT_FILE = fileURLToPath(new URL('../../openapi.json', import.meta.url));
const DOCUMENT_ID = 'openapi.json';

// Served by the app but not part of the contract: the explorer's own page and API, and the document itself.
const OUTSIDE_THE_CONTRACT = /^\/(explorer|docs)(\/|-json|$)/;

/** One route of the contract: its template as a pattern, and its operations by method. */
interface Route {
  template: string;
  pattern: RegExp;
  operations: Record<string, Operation>;
}

/** A contract made ready for checking: its routes as patterns, its schemas in Ajv, validators compiled as met. */
class CompiledContract {
  readonly routes: Route[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: Document) {
    // OpenAPI 3.0 schemas carry `example`, `nullable` and the like: not strict JSON Schema.
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema(document, DOCUMENT_ID);
    this.routes = Object.entries(document.paths).map(([template, operations]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      operations,
    }));
  }

  validatorFor(responsePointer: string, contentType: string): ValidateFunction {
    const key = `${responsePointer}|${contentType}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}${responsePointer}/content/${escape(contentType)}/schema` });
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/** openapi.json, compiled once per test file however many apps the file starts (tens of ms each). */
let openapiJson: CompiledContract | undefined;

/**
 * Checks every answer an app gives against openapi.json: that its route and method are in
 * the contract (a 404 or 405 problem otherwise), its status is one the operation declares,
 * its Content-Type one that status declares, its required headers present and its body
 * valid against the schema. A drift between the code and the document a frontend is
 * generated from then fails the test that met it, not a user.
 */
export class ContractCheck {
  readonly violations: string[] = [];
  private readonly contract: CompiledContract;

  /** `document` is openapi.json unless given (the check's own test gives a small one). */
  constructor(document?: object) {
    this.contract = document
      ? new CompiledContract(document as Document)
      : (openapiJson ??= new CompiledContract(JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')) as Document));
  }

  /** Installs the check in front of every route of `app`; call before `app.init()`. */
  install(app: { use(handler: (request: Request, response: Response, next: NextFunction) => void): unknown }): void {
    app.use((request: Request, response: Response, next: NextFunction) => {
      const chunks: Buffer[] = [];
      const keep = (chunk: unknown, encoding?: unknown) => {
        if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, encoding as BufferEncoding));
      };
      const { write, end } = response;
      response.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
        if (!isEventStream(response)) keep(chunk, typeof rest[0] === 'string' ? rest[0] : undefined);
        return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      } as Response['write'];
      response.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
        if (!isEventStream(response)) keep(chunk, typeof rest[0] === 'string' ? rest[0] : undefined);
        return (end as (...args: unknown[]) => Response).call(this, chunk, ...rest);
      } as Response['end'];
      response.once('finish', () => this.check(request, response, Buffer.concat(chunks)));
      next();
    });
  }

  private check(request: Request, response: Response, body: Buffer): void {
    const method = request.method.toLowerCase();
    const path = request.originalUrl.split('?')[0];
    if (method === 'options' || method === 'head' || OUTSIDE_THE_CONTRACT.test(path)) return;
    const where = `${request.method} ${request.originalUrl.slice(0, 120)} -> ${response.statusCode}`;
    const route = this.contract.routes.find((candidate) => candidate.pattern.test(path));
    const operation = route?.operations[method];
    if (!route || !operation) {
      // Not in the contract: only a refusal may come back, a 404 or 405 from the router, or
      // another 4xx from the checks in front of every route (a control character, a body that is not JSON).
      if (response.statusCode < 400 || response.statusCode >= 500 || !isProblem(response)) {
        this.violations.push(`${where}: not in openapi.json, yet answered other than a 4xx problem`);
      }
      return;
    }
    const declared = operation.responses[String(response.statusCode)] ?? operation.responses.default;
    if (!declared) {
      this.violations.push(`${where}: ${route.template} declares no ${response.statusCode}`);
      return;
    }
    const spec = this.resolve(declared);
    for (const [name, header] of Object.entries(spec.headers ?? {})) {
      const required = header.$ref ? this.headerByRef(header.$ref)?.required : header.required;
      if (required && response.getHeader(name) === undefined) this.violations.push(`${where}: no ${name} header`);
    }
    // An event stream's body is open-ended: its media type is checked, not its events.
    if (body.length === 0 && !isEventStream(response)) {
      if (spec.content && response.statusCode !== 304) this.violations.push(`${where}: empty, yet a body is declared`);
      return;
    }
    const contentType = String(response.getHeader('content-type') ?? '')
      .split(';')[0]
      .trim();
    // Declared media types may carry parameters (Prometheus': version, charset).
    const media = Object.entries(spec.content ?? {}).find(([type]) => type.split(';')[0].trim() === contentType)?.[1];
    if (!media) {
      this.violations.push(`${where}: Content-Type ${contentType || '(none)'} is not declared`);
      return;
    }
    if (!media.schema || !contentType.endsWith('json')) return;
    const declaredType = Object.keys(spec.content!).find((type) => type.split(';')[0].trim() === contentType)!;
    const pointer = `#/paths/${escape(route.template)}/${method}/responses/${response.statusCode in operation.responses ? response.statusCode : 'default'}`;
    const validate = this.contract.validatorFor(declared.$ref ?? pointer, declaredType);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      this.violations.push(`${where}: the body is not JSON`);
      return;
    }
    if (!validate(parsed)) {
      const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
      this.violations.push(`${where}: the body breaks the schema: ${errors.slice(0, 5).join('; ')}`);
    }
  }

  /** A response given by `$ref` (the shared problems of documentRouteWideBehaviour), or as it is. */
  private resolve(spec: ResponseSpec): ResponseSpec {
    if (!spec.$ref) return spec;
    return this.contract.document.components.responses?.[spec.$ref.split('/').pop()!] ?? spec;
  }

  private headerByRef(ref: string): { required?: boolean } | undefined {
    return this.contract.document.components.headers?.[ref.split('/').pop()!];
  }
}

/** A JSON pointer's escaping of one segment (RFC 6901), as a URI fragment. */
function escape(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function isEventStream(response: Response): boolean {
  return String(response.getHeader('content-type') ?? '').startsWith('text/event-stream');
}

function isProblem(response: Response): boolean {
  return String(response.getHeader('content-type') ?? '').startsWith('application/problem+json');
}
