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

let accounts: Summary[] = [];
let selected: Account | undefined;
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
      tr.setAttribute('aria-selected', String(account.id === selected?.id));
      return tr;
    }),
  );
  const others = accounts.filter((account) => account.id !== selected?.id);
  field(form('transfer'), 'to').replaceChildren(
    ...others.map((account) => new Option(`${account.owner} (${account.id.slice(0, 8)})`, account.id)),
  );
});

const reloadAccount = reloader(async (minPosition) => {
  const id = selected?.id;
  if (!id) return;
  const [account, statement] = await Promise.all([
    api.GET('/accounts/{id}', { params: { path: { id } } }),
    api.GET('/accounts/{id}/statement', { params: { path: { id }, query: { minPosition } } }),
  ]);
  if (!account.data || !statement.data) return void say(explain(account.error ?? statement.error));
  if (id !== selected?.id) return;
  // The version comes from the ETag, a header the API exposes to other origins.
  selected = { ...account.data, version: versionOf(account.response)! };
  element('#account-heading').textContent = selected.owner;
  element('#balance').textContent = `${money(selected.balance, selected.currency)} · version ${selected.version}`;
  element('table[aria-label="Statement"] tbody').replaceChildren(
    ...statement.data.items.map((line) => {
      const { currency } = selected!;
      const tr = row(String(line.version), line.kind, money(line.amount, currency), money(line.balanceAfter, currency));
      tr.cells[2].className = tr.cells[3].className = 'money';
      return tr;
    }),
  );
});

/** Shows an account; `position`, that of a command just sent, is where its views must have got to. */
function select(id: string, position = 0): void {
  stopAccount();
  selected = { id } as Account;
  withdrawBasis = undefined;
  element('#account').hidden = false;
  element('#transfers').replaceChildren();
  stopAccount = follow(`/accounts/${id}/stream`, (position) => void reloadAccount(position));
  void reloadAccount(position).then(() => reloadList(position));
}

form('sign-in').onsubmit = (event) => {
  event.preventDefault();
  token.set(field(form('sign-in'), 'token').value.trim());
  form('sign-in').reset();
  start();
};

form('open').onsubmit = async (event) => {
  event.preventDefault();
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
};

// A deposit sent without an answer: its retry sends the same Idempotency-Key, so the API
// applies it once however many of the attempts arrived.
let unanswered: { id: string; amount: number; key: string } | undefined;
const retry = field(form('deposit'), 'retry');

form('deposit').onsubmit = (event) => {
  event.preventDefault();
  const amount = minorUnits(field(form('deposit'), 'amount').value);
  const id = selected!.id;
  if (unanswered?.id !== id || unanswered.amount !== amount) unanswered = { id, amount, key: newIdempotencyKey() };
  void deposit(unanswered);
};
retry.onclick = () => void (unanswered && deposit(unanswered));

async function deposit(attempt: { id: string; amount: number; key: string }): Promise<void> {
  retry.hidden = true;
  const amount = money(attempt.amount, selected!.currency);
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
  say(`Deposited ${amount}: the balance is ${money(data.balance, selected!.currency)}.`);
}

// A withdrawal is decided on the balance the user saw when they started typing it: If-Match
// sends that version, and if the account changed meanwhile the API refuses it.
let withdrawBasis: number | undefined;
field(form('withdraw'), 'amount').addEventListener('input', () => (withdrawBasis ??= selected?.version));

form('withdraw').onsubmit = async (event) => {
  event.preventDefault();
  const { id, currency, version: current } = selected!;
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
        `${selected!.version} now). Check the balance, ${money(selected!.balance, currency)}, and withdraw again.`,
    );
  }
  if (!data) return void say(explain(error));
  form('withdraw').reset();
  say(`Withdrew ${money(amount, currency)}: the balance is ${money(data.balance, currency)}.`);
};

form('transfer').onsubmit = async (event) => {
  event.preventDefault();
  const { id: fromAccountId, currency } = selected!;
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
  for (let status: string = data.status, delayMs = 200; ; delayMs = Math.min(delayMs * 2, 2000)) {
    item.textContent = `${money(amount, currency)} to ${to}: ${status}`;
    if (status === 'completed' || status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const { data: transfer } = await api.GET('/transfers/{id}', { params: { path: { id: data.id } } });
    if (transfer)
      status = transfer.reason ? `${transfer.status} (${transfer.reason.replace(/_/g, ' ')})` : transfer.status;
  }
};

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
  if (selected) select(selected.id);
}
start();
