import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import prettier from 'prettier';

const repository = fileURLToPath(new URL('..', import.meta.url));
const cli = join(repository, 'schematics/generate.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run generate -- ...args` in `cwd` as a process of its own, for its exit code. */
async function runAlone(cwd: string, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as Run;
    return { code, stdout, stderr };
  }
}

/**
 * Runs the generators as `npm run generate` does, in one process for the whole file: a
 * process each would load the schematics and TypeScript again (2.4 s a run here). A child
 * process, because @angular-devkit/schematics require()s an ES module (magic-string), which
 * Node 20 allows and jest's module loader does not. Requests go in on stdin, answers come
 * back on fd 3, so that anything the schematics print cannot garble them.
 */
class Generators {
  private static readonly script = `
    import { createWriteStream } from 'node:fs';
    import { createInterface } from 'node:readline';
    import { generate } from ${JSON.stringify(pathToFileURL(cli).href)};
    const answers = createWriteStream(null, { fd: 3 });
    for await (const line of createInterface({ input: process.stdin })) {
      const { cwd, args } = JSON.parse(line);
      process.chdir(cwd);
      const stdout = [], stderr = [];
      const code = await generate(args, { log: (text) => stdout.push(text), error: (text) => stderr.push(text) });
      answers.write(JSON.stringify({ code, stdout, stderr }) + '\\n');
    }`;
  private readonly child: ChildProcess;
  private readonly answers: AsyncIterator<string>;

  constructor() {
    this.child = spawn(process.execPath, ['--input-type=module', '-e', Generators.script], {
      stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
    });
    this.answers = createInterface({ input: this.child.stdio[3] as Readable })[Symbol.asyncIterator]();
  }

  /**
   * The lines one run printed on stdout and on stderr, and its exit code. The child takes
   * requests one at a time, in order, and answers in that order: calls made before the last
   * answered each get their own.
   */
  async lines(cwd: string, args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    this.child.stdin!.write(`${JSON.stringify({ cwd, args })}\n`);
    const { value, done } = await this.answers.next();
    if (done) throw new Error('the generators process ended');
    return JSON.parse(value) as { code: number; stdout: string[]; stderr: string[] };
  }

  /** Ends the child once it has answered everything, and waits for it. */
  async close(): Promise<void> {
    const exited = once(this.child, 'exit');
    this.child.stdin!.end();
    await exited;
  }
}

let generators: Generators;

/** `npm run generate -- ...args` in `cwd`, its output as the console would show it. */
async function run(cwd: string, ...args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await generators.lines(cwd, args);
  const printed = (lines: string[]) => lines.map((line) => `${line}\n`).join('');
  return { code, stdout: printed(stdout), stderr: printed(stderr) };
}

/** Runs `npm run generate -- ...args` for each of `runs`, one after another; each output's lines joined. */
async function runEach(cwd: string, runs: string[][]): Promise<Run[]> {
  const results: Run[] = [];
  for (const args of runs) {
    const { code, stdout, stderr } = await generators.lines(cwd, args);
    results.push({ code, stdout: stdout.join('\n'), stderr: stderr.join('\n') });
  }
  return results;
}

/** A workspace with what the generators read and change: the contexts, the migrations, prettier's settings. */
async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chronicle-generators-'));
  for (const path of ['src/contexts', 'migrations', '.prettierrc.json']) {
    await cp(join(repository, path), join(dir, path), { recursive: true });
  }
  return dir;
}

/** Every file of the workspace with its content. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return new Map(
    await Promise.all(files.map(async (file) => [relative(dir, file), await readFile(file, 'utf8')] as const)),
  );
}

/** What the generator reported, as `CREATE path` and `UPDATE path` lines, sorted. */
const reported = (output: string) => output.trim().split('\n').sort();

const read = (dir: string, path: string) => readFile(join(dir, path), 'utf8');

let dir: string;
beforeAll(async () => {
  generators = new Generators();
  dir = await workspace();
});
afterAll(async () => {
  await generators.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run generate', () => {
  it('makes a context laid out as accounts is, registered, with a migration after the last one', async () => {
    const before = await snapshot(dir);
    const latest = Math.max(
      ...[...before.keys()].flatMap((path) => path.match(/^migrations\/(\d{13})-/)?.[1] ?? []).map(Number),
    );

    const result = await run(dir, 'context', 'purchase-orders');
    expect(result).toMatchObject({ code: 0, stderr: '' });

    const after = await snapshot(dir);
    const created = [...after.keys()].filter((path) => !before.has(path)).sort();
    const migration = created.find((path) => path.startsWith('migrations/'))!;
    const timestamp = Number(migration.match(/^migrations\/(\d{13})-purchase-order-summaries\.ts$/)?.[1]);
    expect(timestamp).toBeGreaterThan(latest);
    const root = 'src/contexts/purchase-orders';
    expect(created).toEqual(
      [
        migration,
        `${root}/purchase-orders.module.ts`,
        `${root}/application/create-purchase-order/create-purchase-order.command.ts`,
        `${root}/application/create-purchase-order/create-purchase-order.handler.ts`,
        `${root}/application/create-purchase-order/create-purchase-order.spec.ts`,
        `${root}/application/get-purchase-order-events/get-purchase-order-events.handler.ts`,
        `${root}/application/get-purchase-order-events/get-purchase-order-events.query.ts`,
        `${root}/application/get-purchase-order/get-purchase-order.handler.ts`,
        `${root}/application/get-purchase-order/get-purchase-order.query.ts`,
        `${root}/application/purchase-order-summaries/list-purchase-orders.query.ts`,
        `${root}/domain/purchase-order.aggregate.spec.ts`,
        `${root}/domain/purchase-order.aggregate.ts`,
        `${root}/domain/purchase-order.errors.ts`,
        `${root}/domain/events/purchase-order-created.event.ts`,
        `${root}/infrastructure/purchase-order-summaries/list-purchase-orders.handler.ts`,
        `${root}/infrastructure/purchase-order-summaries/purchase-order-summaries.projection.spec.ts`,
        `${root}/infrastructure/purchase-order-summaries/purchase-order-summaries.projection.ts`,
        `${root}/infrastructure/purchase-order-summaries/purchase-order-summary.entity.ts`,
        `${root}/interface/purchase-orders.controller.ts`,
        `${root}/interface/purchase-order.problems.ts`,
        `${root}/interface/dto/create-purchase-order.dto.ts`,
        `${root}/interface/dto/list-purchase-orders.query.dto.ts`,
        `${root}/interface/dto/purchase-order-id.params.ts`,
        `${root}/interface/dto/purchase-order-read.query.dto.ts`,
        `${root}/interface/dto/purchase-order-summary.response.ts`,
        `${root}/interface/dto/purchase-order.responses.ts`,
        'test/purchase-orders/purchase-orders.e2e-spec.ts',
      ].sort(),
    );
    const changed = [...before.keys()].filter((path) => after.get(path) !== before.get(path)).sort();
    expect(changed).toEqual(['migrations/index.ts', 'src/contexts/index.ts']);
    expect(reported(result.stdout)).toEqual(
      [...created.map((path) => `CREATE ${path}`), ...changed.map((path) => `UPDATE ${path}`)].sort(),
    );

    expect(after.get('src/contexts/index.ts')).toContain(
      "import { PurchaseOrdersModule } from './purchase-orders/purchase-orders.module.js';",
    );
    expect(after.get('src/contexts/index.ts')).toMatch(/contextModules = \[(?:[^\]]*, )?PurchaseOrdersModule\]/);
    const className = `PurchaseOrderSummaries${timestamp}`;
    expect(after.get('migrations/index.ts')).toContain(
      `import { ${className} } from './${timestamp}-purchase-order-summaries.js';`,
    );
    expect(after.get('migrations/index.ts')).toMatch(new RegExp(`  ${className},\\n\\];`));
    const aggregate = after.get(`${root}/domain/purchase-order.aggregate.ts`);
    expect(aggregate).toContain(
      "export class PurchaseOrder extends EventSourcedAggregate {\n  static readonly streamType = 'PurchaseOrder';",
    );
    expect(aggregate).toContain('  static readonly events = [PurchaseOrderCreated];\n');
    expect(aggregate).toContain(
      '  @Applies(PurchaseOrderCreated)\n  onPurchaseOrderCreated(event: PurchaseOrderCreated): void {\n',
    );
    const aggregateSpec = after.get(`${root}/domain/purchase-order.aggregate.spec.ts`);
    expect(aggregateSpec).toContain("import { assertSnapshotRoundTrip, given } from '#event-sourcing/testing';");
    expect(aggregateSpec).toContain('assertSnapshotRoundTrip(given(PurchaseOrder, ...fullHistory).aggregate);');
    // The summaries projection's spec runs its SQL on PGlite, on the tables the migrations make.
    const projectionSpec = after.get(
      `${root}/infrastructure/purchase-order-summaries/purchase-order-summaries.projection.spec.ts`,
    );
    expect(projectionSpec).toContain("import { migrations } from '../../../../../migrations/index.js';");
    expect(projectionSpec).toContain(
      'new ProjectionSpec(new PurchaseOrderSummariesProjection(), {\n  migrations,\n  entities: [PurchaseOrderSummary],\n});',
    );
    const controller = after.get(`${root}/interface/purchase-orders.controller.ts`);
    expect(controller).toContain("@Controller('purchase-orders')");
    // Documented as the app's own routes are, with the shared command response, not a copy of it.
    for (const operation of [
      "operationId: 'listPurchaseOrders'",
      "operationId: 'createPurchaseOrder', summary: 'Create purchase order'",
      "operationId: 'getPurchaseOrder'",
      "operationId: 'getPurchaseOrderEvents'",
      "@Get(':id/events')",
      // Every read route takes ?minPosition= and may read a replica, as the example's do.
      '@Query() query: PurchaseOrderQueryDto',
      '@Query() query: PurchaseOrderEventsQueryDto',
      '@ReadsLog()',
      'new GetPurchaseOrder(id, at)',
      'PURCHASE_ORDER_PROBLEMS.notFoundThen',
      'refusals: [PURCHASE_ORDER_PROBLEMS.blankName]',
      'PURCHASE_ORDER_PROBLEMS.notFound',
      "from '#event-sourcing/http';",
    ]) {
      expect(controller).toContain(operation);
    }
    // The command route returns the command's outcome, typed and uncast; ApiCommand makes the answer.
    expect(controller).toContain(
      '  create(@Body() body: CreatePurchaseOrderDto, @RequestCommandContext() context: CommandContext) {\n' +
        '    return this.commands.execute(new CreatePurchaseOrder(body.name, context));\n' +
        '  }\n',
    );
    // Owner-scoped by default: with authentication on, a subject reaches and lists only what it created.
    expect(controller).toContain('@OwnedStreams(PurchaseOrder.streamType)\n@Controller(');
    expect(controller).toContain('new ListPurchaseOrders(query.limit, after, createdBy)');
    expect(after.get(`${root}/interface/dto/purchase-order.responses.ts`)).not.toContain('class CommandResponse');
    expect(after.get(`${root}/interface/purchase-order.problems.ts`)).toContain(
      "notFound: problemExample(\n    'No purchase order has this id',",
    );
  });

  it('leaves every file it writes as prettier would', async () => {
    const options = await prettier.resolveConfig(join(repository, '.prettierrc.json'));
    for (const [path, text] of await snapshot(dir)) {
      if (!path.endsWith('.ts')) continue;
      expect({ path, formatted: await prettier.check(text, { ...options, filepath: path }) }).toEqual({
        path,
        formatted: true,
      });
    }
  });

  it('adds an event: its class, listed in the aggregate with the applier that records it, and in the snapshot test', async () => {
    const result = await run(dir, 'event', 'purchase-orders', 'order-approved');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(reported(result.stdout)).toEqual([
      'CREATE src/contexts/purchase-orders/domain/events/order-approved.event.ts',
      'UPDATE src/contexts/purchase-orders/domain/purchase-order.aggregate.spec.ts',
      'UPDATE src/contexts/purchase-orders/domain/purchase-order.aggregate.ts',
    ]);
    const event = await read(dir, 'src/contexts/purchase-orders/domain/events/order-approved.event.ts');
    expect(event).toContain("@DomainEvent('OrderApproved', { version: 1 })\nexport class OrderApproved {}");
    const aggregate = await read(dir, 'src/contexts/purchase-orders/domain/purchase-order.aggregate.ts');
    expect(aggregate).toContain("import { OrderApproved } from './events/order-approved.event.js';");
    expect(aggregate).toContain('  static readonly events = [PurchaseOrderCreated, OrderApproved];\n');
    expect(aggregate).toContain('  orderApproved = false;\n');
    expect(aggregate).toContain(
      '  @Applies(OrderApproved)\n  onOrderApproved(_event: OrderApproved): void {\n    this.orderApproved = true;\n  }\n}\n',
    );
    const spec = await read(dir, 'src/contexts/purchase-orders/domain/purchase-order.aggregate.spec.ts');
    expect(spec).toContain("import { OrderApproved } from './events/order-approved.event.js';");
    expect(spec).toContain("const fullHistory = [new PurchaseOrderCreated('First'), new OrderApproved()];");
  });

  it('adds a command applying an existing event: a command deciding itself, aggregate method, route, DTO, tests', async () => {
    const result = await run(dir, 'command', 'purchase-orders', 'approve-order', '--event', 'order-approved');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const root = 'src/contexts/purchase-orders';
    // No handler and no module change: the machinery's handler runs every AggregateCommand.
    expect(reported(result.stdout)).toEqual([
      `CREATE ${root}/application/approve-order/approve-order.command.ts`,
      `CREATE ${root}/application/approve-order/approve-order.spec.ts`,
      `CREATE ${root}/interface/dto/approve-order.dto.ts`,
      'CREATE test/purchase-orders/approve-order.e2e-spec.ts',
      `UPDATE ${root}/domain/purchase-order.aggregate.ts`,
      `UPDATE ${root}/interface/purchase-orders.controller.ts`,
    ]);
    expect(await read(dir, `${root}/domain/purchase-order.aggregate.ts`)).toContain(
      '  approveOrder(): void {\n    this.apply(new OrderApproved());\n  }\n',
    );
    const command = await read(dir, `${root}/application/approve-order/approve-order.command.ts`);
    expect(command).toContain('export class ApproveOrder extends AggregateCommand<PurchaseOrder> {');
    expect(command).toContain('super(PurchaseOrder, purchaseOrderId);');
    expect(command).toContain('    purchaseOrder.approveOrder();\n    return {};\n');
    const spec = await read(dir, `${root}/application/approve-order/approve-order.spec.ts`);
    for (const step of [
      'const purchaseOrders = commandSpec(PurchaseOrder);',
      '.then([new OrderApproved()], {})',
      '.thenRepeatAnswersTheSame()',
      '.thenConflicts(1)',
    ]) {
      expect(spec).toContain(step);
    }
    const controller = await read(dir, `${root}/interface/purchase-orders.controller.ts`);
    expect(controller).toContain("@Post(':id/approve-order')");
    expect(controller).toContain(
      "  @ApiOperation({ operationId: 'approveOrder', summary: 'Approve order' })\n" +
        '  @ApiCommand({ status: 200, type: CommandResponse, notFound: PURCHASE_ORDER_PROBLEMS.notFound })\n',
    );
    // The route returns the command's outcome and never touches the response: ApiCommand answers from it.
    expect(controller).toContain(
      '  approveOrder(\n' +
        '    @Param() { id }: PurchaseOrderIdParams,\n' +
        '    @Body() _body: ApproveOrderDto,\n' +
        '    @RequestCommandContext() context: CommandContext,\n' +
        '  ) {\n' +
        '    return this.commands.execute(new ApproveOrder(id, context));\n' +
        '  }\n',
    );
    // Symbols the controller imported already are not imported twice.
    expect(controller.match(/\bPost\b[^(]/g)).toHaveLength(1);
  });

  it('adds a command with a new event, generating the event too', async () => {
    const result = await run(dir, 'command', 'purchase-orders', 'cancel-order', '--event', 'order-cancelled');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(reported(result.stdout)).toContain(
      'CREATE src/contexts/purchase-orders/domain/events/order-cancelled.event.ts',
    );
    const aggregate = await read(dir, 'src/contexts/purchase-orders/domain/purchase-order.aggregate.ts');
    expect(aggregate).toContain('this.orderCancelled = true;');
    expect(aggregate).toContain('this.apply(new OrderCancelled());');
  });

  it('adds a command with fields, from the request DTO through the command and aggregate into the event and its applier', async () => {
    const fields = 'amount:int,note:string?,urgent:boolean,ratio:number?';
    const result = await run(
      dir,
      'command',
      'purchase-orders',
      'adjust-order',
      '--event',
      'order-adjusted',
      '--fields',
      fields,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const root = 'src/contexts/purchase-orders';
    const dto = await read(dir, `${root}/interface/dto/adjust-order.dto.ts`);
    for (const property of [
      "@ApiProperty({ type: 'integer', example: 2 })\n  @IsInt()\n  amount!: number;",
      "@ApiPropertyOptional({ maxLength: 1000, example: 'text' })\n  @IsOptional()\n  @IsString()\n  @MaxLength(1000)\n  @IsStorableText()\n  note?: string;",
      "@ApiProperty({ type: 'boolean', example: true })\n  @IsBoolean()\n  urgent!: boolean;",
      '@IsOptional()\n  @IsNumber({ allowNaN: false, allowInfinity: false })\n  ratio?: number;',
    ]) {
      expect(dto).toContain(property);
    }
    const event = await read(dir, `${root}/domain/events/order-adjusted.event.ts`);
    expect(event).toContain(
      'readonly amount: number,\n    readonly note: string | undefined,\n    readonly urgent: boolean,\n    readonly ratio: number | undefined,',
    );
    const command = await read(dir, `${root}/application/adjust-order/adjust-order.command.ts`);
    expect(command).toContain('    readonly amount: number,\n    readonly note: string | undefined,');
    expect(command).toContain('purchaseOrder.adjustOrder(this.amount, this.note, this.urgent, this.ratio);');
    const aggregate = await read(dir, `${root}/domain/purchase-order.aggregate.ts`);
    expect(aggregate).toContain('  amount = 0;\n  note?: string;\n  urgent = false;\n  ratio?: number;\n');
    expect(aggregate).toContain(
      'this.orderAdjusted = true;\n    this.amount = event.amount;\n    this.note = event.note;',
    );
    expect(aggregate).toContain(
      '  adjustOrder(amount: number, note: string | undefined, urgent: boolean, ratio: number | undefined): void {\n' +
        '    this.apply(new OrderAdjusted(amount, note, urgent, ratio));\n',
    );
    const controller = await read(dir, `${root}/interface/purchase-orders.controller.ts`);
    expect(controller).toContain('@Body() body: AdjustOrderDto,');
    expect(controller).toContain('new AdjustOrder(id, body.amount, body.note, body.urgent, body.ratio, context)');
    const spec = await read(dir, `${root}/application/adjust-order/adjust-order.spec.ts`);
    expect(spec).toContain("new AdjustOrder(id, 2, 'text', true, 2.5, context)");
    expect(spec).toContain(".then([new OrderAdjusted(2, 'text', true, 2.5)], {})");
    const aggregateSpec = await read(dir, `${root}/domain/purchase-order.aggregate.spec.ts`);
    expect(aggregateSpec).toContain("  new OrderAdjusted(2, 'text', true, 2.5),\n];");
    const e2e = await read(dir, 'test/purchase-orders/adjust-order.e2e-spec.ts');
    expect(e2e).toContain("const body = { amount: 2, note: 'text', urgent: true, ratio: 2.5 };");
    expect(e2e).toContain("send({ ...body, amount: 'seven' })");
    // Another command applying the same event must pass the same fields.
    expect(
      await run(
        dir,
        'command',
        'purchase-orders',
        'readjust-order',
        '--event',
        'order-adjusted',
        '--fields',
        'amount:int',
      ),
    ).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('OrderAdjusted records amount, note, urgent, ratio, and --fields gives amount'),
    });
  });

  it('makes a context under a route path of its choice, with a unique key kept by a reservation stream per value', async () => {
    const result = await run(dir, 'context', 'stock-items', '--path', 'warehouse/stock', '--unique', 'sku');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const root = 'src/contexts/stock-items';
    expect(await read(dir, `${root}/interface/stock-items.controller.ts`)).toContain("@Controller('warehouse/stock')");
    const reservations = await read(dir, `${root}/application/sku-reservations/sku-reservations.ts`);
    expect(reservations).toContain('expectedVersion: last?.version ?? 0,');
    expect(reservations).toContain("export const SKU_RESERVATIONS = 'StockItemSkuReservation';");
    expect(await read(dir, `${root}/domain/events/stock-item-created.event.ts`)).toContain(
      'constructor(\n    readonly name: string,\n    readonly sku: string,\n  ) {}',
    );
    const handler = await read(dir, `${root}/application/create-stock-item/create-stock-item.handler.ts`);
    expect(handler).toContain('await this.skuReservations.reserve(command.sku, id, command.context);');
    expect(await read(dir, `${root}/stock-items.module.ts`)).toMatch(/providers: \[[^\]]*SkuReservations,?\s*\]/);
    expect(await read(dir, 'test/stock-items/stock-items.e2e-spec.ts')).toContain(
      "expectProblem(await create({ name: 'Second', sku }), 422, { type: problemType('sku-taken') });",
    );

    // A command's tests create a stock item through the route as it is: its path, a fresh sku each time.
    expect(await run(dir, 'command', 'stock-items', 'count-stock', '--event', 'stock-counted')).toMatchObject({
      code: 0,
    });
    const e2e = await read(dir, 'test/stock-items/count-stock.e2e-spec.ts');
    expect(e2e).toContain(".post('/warehouse/stock')");
    expect(e2e).toContain("send({ name: 'First', sku: `SKU-1-${randomUUID()}` })");
    expect(e2e).toContain('request(app.http).post(`/warehouse/stock/${id}/count-stock`)');
  });

  it('follows a creation renamed by hand, with a new required field, in the tests it generates', async () => {
    const root = 'src/contexts/stock-items';
    const spec = join(dir, `${root}/domain/stock-item.aggregate.spec.ts`);
    const renamed = (await readFile(spec, 'utf8'))
      .replaceAll('StockItemCreated', 'StockItemRegistered')
      .replaceAll('stock-item-created', 'stock-item-registered')
      .replace(/(const fullHistory = \[\s*new StockItemRegistered\('First', 'SKU-1')\)/, '$1, 12)');
    await writeFile(spec, renamed);
    const dto = join(dir, `${root}/interface/dto/create-stock-item.dto.ts`);
    await writeFile(
      dto,
      (await readFile(dto, 'utf8')).replace(
        '  name!: string;',
        "  name!: string;\n  @ApiProperty({ type: 'integer', example: 12 }) @IsInt() reorderLevel!: number;\n  @ApiProperty() location!: string;",
      ),
    );
    expect(await run(dir, 'command', 'stock-items', 'move-stock', '--event', 'stock-moved')).toMatchObject({ code: 0 });
    const commandSpec = await read(dir, `${root}/application/move-stock/move-stock.spec.ts`);
    expect(commandSpec).toContain(
      "import { StockItemRegistered } from '../../domain/events/stock-item-registered.event.js';",
    );
    expect(commandSpec).toContain(".given(new StockItemRegistered('First', 'SKU-1', 12))");
    expect(await read(dir, 'test/stock-items/move-stock.e2e-spec.ts')).toContain(
      "send({ name: 'First', reorderLevel: 12, location: 'text', sku: `SKU-1-${randomUUID()}` })",
    );
  });

  it('adds a projection: follower registered, entity in TypeORM, migration listed last', async () => {
    const result = await run(dir, 'projection', 'purchase-orders', 'order-history');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = reported(result.stdout);
    const migration = lines.find((line) => /^CREATE migrations\/\d{13}-order-history\.ts$/.test(line));
    expect(lines).toEqual(
      [
        migration,
        'CREATE src/contexts/purchase-orders/infrastructure/order-history/order-history.entity.ts',
        'CREATE src/contexts/purchase-orders/infrastructure/order-history/order-history.projection.spec.ts',
        'CREATE src/contexts/purchase-orders/infrastructure/order-history/order-history.projection.ts',
        'CREATE test/purchase-orders/order-history.e2e-spec.ts',
        'UPDATE migrations/index.ts',
        'UPDATE src/contexts/purchase-orders/purchase-orders.module.ts',
      ].sort(),
    );
    const module = await read(dir, 'src/contexts/purchase-orders/purchase-orders.module.ts');
    expect(module).toContain('TypeOrmModule.forFeature([PurchaseOrderSummary, OrderHistory])');
    expect(module).toMatch(/providers: \[[^\]]*OrderHistoryProjection,?\s*\]/);
    const index = await read(dir, 'migrations/index.ts');
    expect(index).toMatch(/ OrderHistory\d{13},\n\];/);
    expect(
      await read(dir, 'src/contexts/purchase-orders/infrastructure/order-history/order-history.projection.ts'),
    ).toContain("@Follower(ORDER_HISTORY, { tables: ['order_history'] })");
    expect(
      await read(dir, 'src/contexts/purchase-orders/infrastructure/order-history/order-history.projection.spec.ts'),
    ).toContain(
      ".thenRows(OrderHistory, [{ purchaseOrderId: ID, version: 1, type: 'PurchaseOrderCreated', recordedAt }])",
    );
  });

  it('writes nothing with --dry-run', async () => {
    const before = await snapshot(dir);
    const result = await run(dir, 'event', 'purchase-orders', 'order-shipped', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(dry run: nothing written)');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('refuses with exit code 1 and one line on stderr, writing nothing', async () => {
    const before = await snapshot(dir);
    expect(await runAlone(dir, 'context', 'Foo Bar')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        '"Foo Bar" is not a valid context name: use lower-case ASCII words joined by hyphens, such as inventory or purchase-orders\n',
    });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('refuses bad names, taken names and commands it cannot make, one line each, writing nothing', async () => {
    /** A new command with these fields. */
    const priced = (fields: string) => ['command', 'purchase-orders', 'price', '--event', 'priced', '--fields', fields];
    const cases: [string[], string][] = [
      [['context', 'Foo Bar'], '"Foo Bar" is not a valid context name: use lower-case ASCII words joined by hyphens'],
      [['context', 'purchase-orders'], 'The context purchase-orders exists already'],
      [['context', 'class'], '"class" is a reserved word in JavaScript: pick another context name'],
      [['context', 'notifications'], '"notifications" is taken by the app itself'],
      [['event', 'purchase-orders', 'order-approved'], 'The event type OrderApproved exists already'],
      [['event', 'shipping', 'parcel-sent'], 'There is no context "shipping" in src/contexts'],
      [['event', 'purchase-orders', 'version'], 'PurchaseOrder has a member version already'],
      [
        ['command', 'purchase-orders', 'approve-order', '--event', 'order-approved'],
        'The command approve-order exists already',
      ],
      [['command', 'purchase-orders', 'approve'], 'Which event does approve apply? Pass --event <name>'],
      [
        ['command', 'purchase-orders', 'list-purchase-orders', '--event', 'order-approved'],
        'The operationId listPurchaseOrders exists already (src/contexts/purchase-orders/interface/purchase-orders.controller.ts): pick another command name',
      ],
      [
        ['command', 'purchase-orders', 'rename', '--event', 'purchase-order-created'],
        'PurchaseOrderCreated records name, and --fields gives no fields: pass --fields with its fields in its order',
      ],
      [
        ['command', 'purchase-orders', 'rename', '--event', 'purchase-order-created', '--fields', 'title:string'],
        'PurchaseOrderCreated records name, and --fields gives title',
      ],
      [priced('amount:money'), '--fields: amount has the type "money", which is none of int, number, string, boolean'],
      [priced('amount'), '"amount" is not name:type'],
      [priced('Amount:int'), '"Amount" is not a field name: use a camelCase identifier'],
      [priced('amount:int,amount:number'), '--fields: amount is given twice'],
      [priced('purchaseOrderId:string'), '--fields: the generated code uses purchaseOrderId already'],
      [priced('version:int'), 'uses version already'],
      [priced('approveOrder:int'), 'PurchaseOrder has a method approveOrder: the field cannot be its state'],
      [['command', 'purchase-orders', 'price', '--event', 'priced', '--path', 'x'], 'command takes no --path'],
      [['context', 'ledgers', '--path', 'Big Books'], '"Big Books" is not a valid route path'],
      [['context', 'ledgers', '--path', 'metrics/ledgers'], 'The route /metrics is taken by the app itself'],
      [['context', 'ledgers', '--path', '/purchase-orders/'], 'The route /purchase-orders is served already'],
      [['context', 'ledgers', '--unique', 'name'], '--unique: the generated code uses name already'],
      [['context', 'ledgers', '--unique', 'ref-no'], '--unique: "ref-no" is not a field name'],
      [['projection', 'purchase-orders', 'order-history'], 'A follower named order-history exists already'],
      [['projection', 'purchase-orders', 'snapshots'], 'The table snapshots exists already'],
      [['context', 'ledgers', '--aggregate', 'purchase-order'], 'The aggregate PurchaseOrder exists already'],
      [
        ['projection', 'purchase-orders', 'purchase-order-summaries'],
        'A follower named purchase-order-summaries exists already',
      ],
      [['frob', 'x'], 'Unknown generator "frob"'],
      // example:start
      // Names the examples hold.
      [['context', 'ledgers', '--aggregate', 'account'], 'The aggregate Account exists already'],
      [['event', 'purchase-orders', 'money-deposited'], 'The event type MoneyDeposited exists already'],
      [
        ['command', 'accounts', 'freeze', '--event', 'account-frozen'],
        'src/contexts/accounts/domain/account.aggregate.spec.ts should start its fullHistory with the creation event',
      ],
      [['projection', 'purchase-orders', 'account-summaries'], 'A follower named account-summaries exists already'],
      [
        ['command', 'purchase-orders', 'deposit-money', '--event', 'order-approved'],
        'The operationId depositMoney exists already (src/contexts/accounts/interface/accounts.controller.ts): pick another command name',
      ],
      [['context', 'account-statements'], 'The operationId getAccountStatement exists already'],
      // example:end
      [['projection', 'purchase-orders'], 'usage: npm run generate -- projection <context> <name>'],
    ];
    const before = await snapshot(dir);
    const results = await runEach(
      dir,
      cases.map(([args]) => args),
    );
    expect(await snapshot(dir)).toEqual(before);
    for (const [i, [args, message]] of cases.entries()) {
      expect({ args, ...results[i] }).toEqual({ args, code: 1, stdout: '', stderr: expect.stringContaining(message) });
      expect(results[i].stderr.split('\n')).toHaveLength(1);
    }
  });
});
