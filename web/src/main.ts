import { ifMatch, isProblem, versionOf, type components } from '@chronicle/client';
import { api, explain, minorUnits, money, newIdempotencyKey, subjectOf, token } from './api.js';
import { follow, reloader } from './live.js';

type Summary = components['schemas']['AccountSummaryResponse'];
type Account = components['schemas']['AccountResponse'] & { version: number };

const element = <T extends HTMLElement>(selector: string): T => document.querySelector<T>(selector)!;
const form = (id: string) => element<HTMLFormElement>(`form#${id}`);
const field = (owner: HTMLFormElement, name: string) => owner.elements.namedItem(name) as HTMLInputElement;
const row = (...cells: (string | Node)[]) => {
  const tr = document.createElement('tr');
  for (const cell of cells) tr.insertCell().append(cell);
  return tr;
};
const say = (text: string) => (element('#message').textContent = text);
const failed = (error: unknown) => say(explain(error));
/** A form's submit handler; what it throws (no answer from the API) is said, not lost. */
const onSubmit = (id: string, handle: () => Promise<void> | void) =>
  (form(id).onsubmit = (event) => {
    event.preventDefault();
    void (async () => handle())().catch(failed);
  });

let accounts: Summary[] = [];
/** The account shown, and what the page knows of it once loaded. */
let shownId: string | undefined;
let shown: Account | undefined;
let stopAccount = () => {};

// The list and the open account reload when their live view reports a change.
const reloadList = reloader(async (minPosition) => {
  const { data, error } = await api.GET('/accounts', { params: { query: { minPosition } } });
  if (!data) return void say(error?.status === 401 ? 'Sign in with a token: the API asks for one.' : explain(error));
  accounts = data.items;
  element('table[aria-label="Accounts"] tbody').replaceChildren(
    ...accounts.map((account) => {
      const show = Object.assign(document.createElement('button'), { textContent: 'Show' });
      show.onclick = () => select(account.id);
      const tr = row(account.owner, money(account.balance, account.currency), show);
      tr.cells[1].className = 'money';
      tr.setAttribute('aria-selected', String(account.id === shownId));
      return tr;
    }),
  );
  const others = accounts.filter((account) => account.id !== shownId);
  field(form('transfer'), 'to').replaceChildren(
    ...others.map((account) => new Option(`${account.owner} (${account.id.slice(0, 8)})`, account.id)),
  );
}, failed);

const reloadAccount = reloader(async (minPosition) => {
  const id = shownId;
  if (!id) return;
  const [account, statement] = await Promise.all([
    api.GET('/accounts/{id}', { params: { path: { id } } }),
    api.GET('/accounts/{id}/statement', { params: { path: { id }, query: { minPosition } } }),
  ]);
  if (!account.data || !statement.data) return void say(explain(account.error ?? statement.error));
  if (id !== shownId) return;
  // The version comes from the ETag, a header the API exposes to other origins.
  const { currency } = account.data;
  shown = { ...account.data, version: versionOf(account.response)! };
  element('#account-heading').textContent = shown.owner;
  element('#balance').textContent = `${money(shown.balance, currency)} · version ${shown.version}`;
  element('table[aria-label="Statement"] tbody').replaceChildren(
    ...statement.data.items.map((line) => {
      const tr = row(String(line.version), line.kind, money(line.amount, currency), money(line.balanceAfter, currency));
      tr.cells[2].className = tr.cells[3].className = 'money';
      return tr;
    }),
  );
}, failed);

/** Shows an account; `position`, that of a command just sent, is where its views must have got to. */
function select(id: string, position = 0): void {
  stopAccount();
  shownId = id;
  shown = undefined;
  withdrawBasis = undefined;
  element('#account').hidden = false;
  element('#transfers').replaceChildren();
  stopAccount = follow(`/accounts/${id}/stream`, (position) => void reloadAccount(position));
  void reloadAccount(position).then(() => reloadList(position));
}

onSubmit('sign-in', () => {
  token.set(field(form('sign-in'), 'token').value.trim());
  form('sign-in').reset();
  start();
});

onSubmit('open', async () => {
  const owner = field(form('open'), 'owner').value;
  const overdraftLimit = minorUnits(field(form('open'), 'overdraft').value || '0');
  const { data, error } = await api.POST('/accounts', {
    params: { header: { 'Idempotency-Key': newIdempotencyKey() } },
    body: { owner, overdraftLimit },
  });
  if (!data) return void say(explain(error));
  form('open').reset();
  say(`Opened an account for ${owner}.`);
  select(data.id, data.position);
});

// A deposit sent without an answer: its retry sends the same Idempotency-Key, so the API
// applies it once however many of the attempts arrived.
let unanswered: { id: string; amount: number; key: string } | undefined;
const retry = element<HTMLButtonElement>('form#deposit button[name="retry"]');

onSubmit('deposit', () => {
  if (!shown) return;
  const amount = minorUnits(field(form('deposit'), 'amount').value);
  const { id } = shown;
  if (unanswered?.id !== id || unanswered.amount !== amount) unanswered = { id, amount, key: newIdempotencyKey() };
  return deposit(unanswered);
});
retry.onclick = () => void (unanswered && deposit(unanswered));

async function deposit(attempt: { id: string; amount: number; key: string }): Promise<void> {
  retry.hidden = true;
  const { currency } = shown!;
  const amount = money(attempt.amount, currency);
  let result;
  try {
    result = await api.POST('/accounts/{id}/deposits', {
      params: { path: { id: attempt.id }, header: { 'Idempotency-Key': attempt.key } },
      body: { amount: attempt.amount },
    });
  } catch {
    retry.hidden = false;
    return void say(`No answer to the deposit of ${amount}: it may have been made or not. Retry it: it is made once.`);
  }
  const { data, error, response } = result;
  // A 503 may have stored the deposit too (docs/API.md): the same key again is safe.
  if (response.status === 503) return void ((retry.hidden = false), say(explain(error)));
  unanswered = undefined;
  if (!data) return void say(explain(error));
  form('deposit').reset();
  say(`Deposited ${amount}: the balance is ${money(data.balance, currency)}.`);
}

// A withdrawal is decided on the balance the user saw when they started typing it: If-Match
// sends that version, and if the account changed meanwhile the API refuses it.
let withdrawBasis: number | undefined;
field(form('withdraw'), 'amount').addEventListener('input', () => (withdrawBasis ??= shown?.version));

onSubmit('withdraw', async () => {
  if (!shown) return;
  const { id, currency, version: current } = shown;
  const version = withdrawBasis ?? current;
  withdrawBasis = undefined;
  const amount = minorUnits(field(form('withdraw'), 'amount').value);
  const { data, error } = await api.POST('/accounts/{id}/withdrawals', {
    params: { path: { id }, header: { 'If-Match': ifMatch(version) } },
    body: { amount },
  });
  if (isProblem(error, 'concurrency-conflict')) {
    await reloadAccount();
    return void say(
      `Nothing was withdrawn: the account changed while you were withdrawing (version ${version} then, ` +
        `${shown!.version} now). Check the balance, ${money(shown!.balance, currency)}, and withdraw again.`,
    );
  }
  if (!data) return void say(explain(error));
  form('withdraw').reset();
  say(`Withdrew ${money(amount, currency)}: the balance is ${money(data.balance, currency)}.`);
});

onSubmit('transfer', async () => {
  if (!shown) return;
  const { id: fromAccountId, currency } = shown;
  const toAccountId = field(form('transfer'), 'to').value;
  const amount = minorUnits(field(form('transfer'), 'amount').value);
  const { data, error } = await api.POST('/transfers', {
    params: { header: { 'Idempotency-Key': newIdempotencyKey() } },
    body: { fromAccountId, toAccountId, amount },
  });
  if (!data) return void say(explain(error));
  form('transfer').reset();
  const to = accounts.find((account) => account.id === toAccountId)?.owner ?? toAccountId;
  const item = element('#transfers').appendChild(document.createElement('li'));
  // A transfer settles in steps after the 202: follow it until it completes or fails.
  let transfer: { status: string; reason?: string } = data;
  for (let delayMs = 200; ; delayMs = Math.min(delayMs * 2, 2000)) {
    const reason = transfer.reason ? ` (${transfer.reason.replace(/_/g, ' ')})` : '';
    item.textContent = `${money(amount, currency)} to ${to}: ${transfer.status}${reason}`;
    if (transfer.status === 'completed' || transfer.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    transfer = (await api.GET('/transfers/{id}', { params: { path: { id: data.id } } })).data ?? transfer;
  }
});

// Signing in (again) starts over: the list and its live view under the new token.
let stopList = () => {};
function start(): void {
  const current = token.get();
  element('#who').textContent = current
    ? `Signed in as ${subjectOf(current) ?? 'an unknown subject'}`
    : 'Not signed in';
  say('');
  stopList();
  stopList = follow('/accounts/stream', (position) => void reloadList(position));
  void reloadList();
  if (shownId) select(shownId);
}
start();
