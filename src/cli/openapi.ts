import { Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openApiDocumentOffline, renderOpenApiFiles } from './openapi-files.js';

/**
 * `npm run openapi`: writes the OpenAPI document to openapi.json and the typed client's
 * types generated from it, straight from the code (no database needed). Run it after
 * changing a route or a DTO, and commit what it wrote: a test fails until then.
 */
const logger = new Logger('openapi');
const files = await renderOpenApiFiles(await openApiDocumentOffline());
for (const [path, text] of Object.entries(files)) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  logger.log(`wrote ${path} (${Buffer.byteLength(text)} bytes)`);
}
