import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { OPENAPI_FILES, openApiDocumentOffline, renderOpenApiFiles } from '../../src/cli/openapi-files.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { TEST_JWT_SECRET } from '../support/tokens.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const committed = (path: string) => readFile(`${ROOT}/${path}`, 'utf8');

/** Where two texts first differ, for a failure message a person can act on. */
function firstDifference(expected: string, actual: string): string {
  const [want, got] = [expected.split('\n'), actual.split('\n')];
  const line = want.findIndex((text, index) => text !== got[index]);
  const at = line === -1 ? want.length : line;
  return `line ${at + 1}:\n  committed: ${got[at] ?? '(end of file)'}\n  generated: ${want[at] ?? '(end of file)'}`;
}

describe('openapi.json and the typed client', () => {
  let document: OpenAPIObject;
  beforeAll(async () => (document = await openApiDocumentOffline()));

  it('are what the code produces now', async () => {
    const stale: string[] = [];
    for (const [path, text] of Object.entries(await renderOpenApiFiles(document))) {
      const onDisk = await committed(path).catch(() => '');
      if (onDisk !== text) stale.push(`${path} differs at ${firstDifference(text, onDisk)}`);
    }
    if (stale.length > 0) {
      throw new Error(`Out of date: run \`npm run openapi\` and commit what it writes.\n${stale.join('\n')}`);
    }
  });

  it('describe every operation: a summary, an answer with a schema, and its problems as application/problem+json with examples', () => {
    const gaps: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item) as [string, OperationObject][]) {
        const route = `${method.toUpperCase()} ${path}`;
        if (!operation.operationId || !operation.summary) gaps.push(`${route}: no operationId or summary`);
        const responses = Object.entries(operation.responses) as [string, ResponseObject][];
        const success = responses.filter(([status]) => /^2/.test(status));
        if (!success.some(([, response]) => Object.values(response.content ?? {}).some((media) => media.schema))) {
          gaps.push(`${route}: no success answer with a schema`);
        }
        for (const [status, response] of responses.filter(([status]) => /^[45]/.test(status))) {
          if ('$ref' in response) continue;
          const problem = response.content?.['application/problem+json'];
          if (!problem?.schema || Object.keys(problem.examples ?? {}).length === 0) {
            gaps.push(`${route} ${status}: not application/problem+json with examples`);
          }
        }
      }
    }
    expect(gaps).toEqual([]);
  });

  it('let null through wherever they say nullable: never on a $ref or allOf, where OpenAPI 3.0 ignores it', () => {
    // A validator reads `{ nullable: true, allOf: [{ $ref }] }` as the referenced object only, so null fails it.
    const misplaced: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      if (schema.nullable === true && ('$ref' in schema || 'allOf' in schema)) misplaced.push(at);
      for (const [key, value] of Object.entries(schema)) visit(value, `${at}/${key}`);
    };
    visit(document, '#');
    expect(misplaced).toEqual([]);
  });

  it("passes Redocly's recommended lint with no errors, as tools that read it expect", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: await committed(OPENAPI_FILES.document), config });
    const errors = problems
      .filter((problem) => problem.severity === 'error')
      .map((problem) => `${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`);
    expect(errors).toEqual([]);
  });

  it('is what the app serves at /docs-json, whatever its configuration', async () => {
    let app: TestApp | undefined;
    try {
      app = await createTestApp({
        env: { AUTH_JWT_SECRET: TEST_JWT_SECRET, METRICS_TOKEN: 'metrics-token-0123456789' },
      });
      const served = await request(app.http).get('/docs-json');
      expect(served.status).toBe(200);
      expect(served.body).toEqual(JSON.parse(await committed(OPENAPI_FILES.document)));
    } finally {
      await app?.close();
    }
  });
});
