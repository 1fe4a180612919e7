import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import { AppModule } from '../app.module.js';
import { createOpenApiDocument } from '../app.openapi.js';
import { loadConfig } from '../config/app-config.js';

/** The files `npm run openapi` writes, by their path from the repository's root. */
export const OPENAPI_FILES = {
  document: 'openapi.json',
  clientTypes: 'clients/typescript/src/schema.ts',
} as const;

/**
 * The app's OpenAPI document without a database: the module graph is compiled in
 * preview mode, which instantiates no provider, so nothing connects or starts.
 */
export async function openApiDocumentOffline(): Promise<OpenAPIObject> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(AppModule.forRoot(config, 'postgres://offline.invalid/none'), {
    preview: true,
    logger: false,
  });
  try {
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** What each file of {@link OPENAPI_FILES} holds for `document`, formatted as prettier formats the repository. */
export async function renderOpenApiFiles(document: OpenAPIObject): Promise<Record<string, string>> {
  const prettier = async (text: string, filepath: string) =>
    format(text, { ...(await resolveConfig(filepath)), filepath });
  // openapi-typescript resolves $refs in place: it gets a copy. A field with a default
  // stays optional: clients may leave it out (its default holds for the server only).
  const types = astToString(
    await openapiTS(structuredClone(document) as OpenAPI3, { silent: true, defaultNonNullable: false }),
  );
  return {
    [OPENAPI_FILES.document]: await prettier(JSON.stringify(document), OPENAPI_FILES.document),
    [OPENAPI_FILES.clientTypes]: await prettier(
      `${COMMENT_HEADER.trim()}\n// From openapi.json: run \`npm run openapi\` after changing the API.\n\n${types}`,
      OPENAPI_FILES.clientTypes,
    ),
  };
}
