import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { readdirSync } from 'node:fs';
import { Public } from '../auth/public.decorator.js';
import { EXPLORER_PATH, PUBLIC_DIR, vendorFiles } from './explorer-assets.js';

/**
 * The explorer page and the files it loads. Public: they hold no data; the API they
 * call wants the `admin` role when authentication is on.
 */
@ApiExcludeController()
@Public()
@Controller(EXPLORER_PATH)
export class ExplorerPageController {
  // Listed once, so that a request can name only a file that is there to serve.
  private readonly assets = new Set(readdirSync(PUBLIC_DIR).filter((file) => file !== 'index.html'));
  private readonly vendor = vendorFiles();

  @Get()
  page(@Res() response: Response): void {
    response.sendFile('index.html', { root: PUBLIC_DIR });
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() response: Response): void {
    if (!this.assets.has(file)) throw new NotFoundException(`The explorer has no file ${file}`);
    response.sendFile(file, { root: PUBLIC_DIR });
  }

  @Get('vendor/:file')
  library(@Param('file') file: string, @Res() response: Response): void {
    const path = this.vendor.get(file);
    if (path === undefined) throw new NotFoundException(`The explorer has no library ${file}`);
    response.sendFile(path);
  }
}
