import { assertName, contextNames, singular, summaryOf } from './names.js';

describe('assertName', () => {
  it.each(['inventory', 'purchase-orders', 'stock-item2', 'a1-b2-c3'])('takes %j', (name) => {
    expect(() => assertName(name, 'context')).not.toThrow();
  });

  it.each(['Foo Bar', 'Inventory', 'purchase_orders', 'purchase--orders', '-orders', 'orders-', '2nd', 'café', '', 42])(
    'refuses %j as not kebab-case, in one line naming it',
    (name) => {
      expect(() => assertName(name, 'context')).toThrow(
        `${JSON.stringify(name)} is not a valid context name: use lower-case ASCII words joined by hyphens, such as inventory or purchase-orders`,
      );
    },
  );

  it.each(['class', 'delete', 'new', 'constructor', 'await'])('refuses the reserved word %j', (name) => {
    expect(() => assertName(name, 'command')).toThrow(`"${name}" is a reserved word in JavaScript`);
  });

  it.each(['event-sourcing', 'health', 'auth', 'docs', 'metrics', 'notifications', 'projections', 'explorer', 'index'])(
    'refuses %j as a context: the app has it',
    (name) => {
      expect(() => assertName(name, 'context')).toThrow(`"${name}" is taken by the app itself`);
    },
  );

  it('lets a command or event use a word only contexts may not', () => {
    expect(() => assertName('health', 'event')).not.toThrow();
  });

  it('refuses names of classes the generated code imports', () => {
    expect(() => assertName('command', 'aggregate')).toThrow('would name a class Command');
    expect(() => assertName('domain-event', 'event')).toThrow('would name a class DomainEvent');
    expect(() => assertName('command-response', 'aggregate')).toThrow('would name a class CommandResponse');
  });
});

describe('summaryOf', () => {
  it("makes a route's OpenAPI summary of its use case's name", () => {
    expect(summaryOf('close-ticket')).toBe('Close ticket');
    expect(summaryOf('list-purchase-orders')).toBe('List purchase orders');
  });
});

describe('contextNames', () => {
  it('names the aggregate with the singular of the context', () => {
    expect(singular('purchase-orders')).toBe('purchase-order');
    expect(singular('inventory')).toBe('inventory');
    expect(singular('categories')).toBe('category');
    expect(singular('people')).toBe('person');
    expect(contextNames('purchase-orders')).toEqual({
      name: 'purchase-orders',
      aggregate: 'purchase-order',
      created: 'purchase-order-created',
      create: 'create-purchase-order',
      get: 'get-purchase-order',
      events: 'get-purchase-order-events',
      summaries: 'purchase-order-summaries',
      summary: 'purchase-order-summary',
      list: 'list-purchase-orders',
    });
  });

  it('takes the aggregate given', () => {
    expect(contextNames('shipping', 'shipment')).toMatchObject({ aggregate: 'shipment', created: 'shipment-created' });
  });
});
