// The shop's page. `window.Signet` comes from the SDK's script-tag build (/signet.iife.js).
// Two ways to give the SDK its tokens are shown; pick one with ?flow=provider (default) or
// ?flow=listener. Both fetch the token from the shop's own backend (/signet-token), which signs
// it for whoever is signed in there.

const config = await fetch('/shop-config.json').then((res) => res.json());
const flow = new URLSearchParams(location.search).get('flow') === 'listener' ? 'listener' : 'provider';
// `npm run demo -- --provider`: users sign in at an OpenID provider, and /signet-token answers the
// provider's own ID token (the shop keeps it, and its refresh token, on its server).
const openIdMode = config.signIn === 'openid';

const PRODUCTS = [
  { sku: 'TEA-01', name: 'Green tea, 100 g', price: 6.5 },
  { sku: 'MUG-02', name: 'Stoneware mug', price: 14 },
  { sku: 'KTL-03', name: 'Gooseneck kettle', price: 49.9 },
  { sku: 'CUP-04', name: 'Travel cup', price: 18.25 },
];

/** What the status panel shows. `cart` holds one line per product: `{ product, quantity }`. */
const state = {
  user: null,
  cart: [],
  orders: 0,
  tokenExpiresAt: null,
  tokensFetched: 0,
  lastAuthError: null,
};

/** Asks the shop's backend for a token for the signed-in user; null when signed out. */
async function fetchToken() {
  const res = await fetch('/signet-token', { cache: 'no-store' });
  if (!res.ok) return null;
  const { token, expiresAt } = await res.json();
  state.tokenExpiresAt = expiresAt;
  state.tokensFetched++;
  render();
  return token;
}

// ── Flow 1 (default, ?flow=provider): the SDK asks for tokens itself ────────────────────────
// It calls tokenProvider when the user has no token, when the token is within 60 s of its
// expiry, and once after the server refuses one. Nothing else to do.
//
// ── Flow 2 (?flow=listener): the page passes tokens, the listener replaces refused ones ─────
// Without a provider, the page calls passAuthenticationDetails after sign-in, and the
// authentication listener (registered below in both flows) fetches and passes a new token
// when the SDK reports one expired, missing or refused. In short:
//
//   const signet = Signet.init({ appId, endpoint, networkRequest: { authorization: { jwtEnabled: true } } });
//   signet.identify(userId);
//   signet.passAuthenticationDetails({ type: 'jwt', token: await fetchToken(), userIdentifier: userId });
//   signet.registerAuthenticationListener(async (error) => {
//     const token = await fetchToken();
//     if (token) signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: error.data.userIdentifier });
//   });
const signet = window.Signet.init({
  appId: config.appId,
  endpoint: config.signetUrl,
  networkRequest: { authorization: { jwtEnabled: true } },
  // Send within a second so the dashboard follows along (the default is 10 s or 20 events).
  flushIntervalMs: 1000,
  ...(flow === 'provider' && {
    // Only the signed-in user's tokens: data a previous user left waits for that user's token.
    tokenProvider: (userIdentifier) => (userIdentifier === state.user ? fetchToken() : null),
  }),
});

// A super property: every later track and page carries it, until logout.
signet.register({ token_flow: flow });

signet.registerAuthenticationListener(async (error) => {
  state.lastAuthError = { ...error.data, at: new Date().toLocaleTimeString() };
  render();
  if (flow === 'listener' && error.data.userIdentifier === state.user) await passFreshToken();
});

async function passFreshToken() {
  const token = await fetchToken();
  if (token) signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: state.user });
}

// The SDK remembers who it identified across reloads; this page remembers it too, to sign
// the SDK out when the shop's session is gone (e.g. the demo was restarted).
const SDK_USER_KEY = 'shop:sdk-user';

async function signIn(name) {
  const res = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: name }),
  });
  if (!res.ok) throw new Error(`Sign-in failed: ${res.status}`);
  const { user } = await res.json();
  state.user = user;
  // The traits go on the user's profile: as verified attributes once the token checks out.
  signet.identify(user, { name: user, last_sign_in: new Date().toISOString() });
  localStorage.setItem(SDK_USER_KEY, user);
  if (flow === 'listener') await passFreshToken();
  signet.track('Signed in');
  render();
}

async function signOut() {
  signet.track('Signed out');
  // Sends this user's pending data (with a token from the still-open session), then switches
  // the SDK to a new anonymous id. Only then does the shop end its session.
  await signet.logout();
  localStorage.removeItem(SDK_USER_KEY);
  await fetch('/api/logout', { method: 'POST' });
  Object.assign(state, { user: null, cart: [], tokenExpiresAt: null });
  signet.register({ token_flow: flow }); // logout() cleared the super properties
  render();
}

function viewProduct(product) {
  signet.track('Product viewed', { sku: product.sku, price: product.price });
  document.querySelector(`[data-sku="${product.sku}"]`)?.classList.add('viewed');
}

function addToCart(product) {
  // The same product twice is one line of quantity 2.
  const line = state.cart.find((l) => l.product.sku === product.sku);
  if (line) line.quantity++;
  else state.cart.push({ product, quantity: 1 });
  const size = cartSize();
  signet.track('Added to cart', {
    sku: product.sku,
    price: product.price,
    quantity: line?.quantity ?? 1,
    cart_size: size,
  });
  signet.setUserAttribute('cart_size', size);
  render();
}

async function checkOut() {
  const total = cartTotal();
  const orderId = `order-${Date.now().toString(36)}`;
  signet.track('Order completed', {
    order_id: orderId,
    total,
    items: state.cart.map((l) => ({ sku: l.product.sku, quantity: l.quantity })),
  });
  state.orders++;
  signet.setUserAttribute('orders', state.orders);
  signet.setUserAttribute('last_order_total', total);
  state.cart = [];
  document.getElementById('order-message').textContent = `Thank you! ${orderId}, ${total.toFixed(2)} €.`;
  render();
  await signet.flush();
}

// ── The impersonation demo: raw requests to the ingestion API, as an attacker would send ────
async function impersonate(kind) {
  const victim = document.getElementById('victim').value.trim() || 'alice';
  let token;
  if (kind === 'forged') {
    // The shop plays the attacker here: a token for the victim, signed with an unregistered key.
    const res = await fetch(`/demo/forged-token?user=${encodeURIComponent(victim)}`);
    token = (await res.json()).token;
  } else {
    // My own, valid token; the SDK refuses to send it for someone else, so this bypasses it.
    const res = await fetch('/signet-token', { cache: 'no-store' });
    if (!res.ok) return show('Sign in first: this sends your own token.');
    token = (await res.json()).token;
  }
  const res = await fetch(`${config.signetUrl}/v1/apps/${encodeURIComponent(config.appId)}/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      batchId: crypto.randomUUID(),
      sdk: { name: 'impersonation-demo', version: '1' },
      user: { id: victim },
      events: [
        {
          id: crypto.randomUUID(),
          type: 'track',
          name: 'Refund issued',
          timestamp: new Date().toISOString(),
          properties: { amount: 500 },
        },
      ],
    }),
  });
  const body = await res.json().catch(() => null);
  showAnswer(victim, res.status, body);
}

/** What each refusal means here, in a sentence (the codes are SPEC §4's). */
const WHY = {
  INVALID_SIGNATURE:
    'The token was not signed by a key this app registered: nobody else can sign as the shop.',
  IDENTIFIER_MISMATCH:
    'The token is real, but it was issued for another user: one user cannot send data as another.',
  TIME_CONSTRAINT_FAILURE: 'The token has expired.',
  TOKEN_NOT_AVAILABLE: 'The request carried no token.',
};

/** Signet's answer as a sentence and its code, never the raw JSON. */
function showAnswer(victim, status, body) {
  const box = $('impersonation-result');
  const line = (text, className) =>
    Object.assign(document.createElement('p'), { textContent: text, className });
  const error = body?.error;
  if (error) {
    box.className = 'answer refused';
    box.replaceChildren(
      line(`Signet refused it: nothing was stored as "${victim}".`, 'answer-title'),
      line(WHY[error.code] ?? error.message),
      line(`HTTP ${status} · ${error.code} · ${error.reason}`, 'answer-code'),
    );
  } else if (body?.authWarning) {
    box.className = 'answer warned';
    box.replaceChildren(
      line(`Stored as "${victim}", but marked unverified.`, 'answer-title'),
      line(
        `${WHY[body.authWarning.code] ?? 'The token failed the check.'} The app's mode is optional; required mode would refuse it.`,
      ),
      line(`HTTP ${status} · ${body.authWarning.code} · ${body.authWarning.reason}`, 'answer-code'),
    );
  } else if (status === 200) {
    box.className = 'answer warned';
    box.replaceChildren(
      line(`Stored as "${victim}" without a check.`, 'answer-title'),
      line("The app's mode is disabled: tokens are not looked at. Set it to required to refuse this."),
      line(`HTTP ${status}`, 'answer-code'),
    );
  } else {
    box.className = 'answer refused';
    box.replaceChildren(line(`Signet answered HTTP ${status}.`, 'answer-title'));
  }
  box.hidden = false;
}

function show(text) {
  const box = $('impersonation-result');
  box.className = 'answer';
  box.replaceChildren(Object.assign(document.createElement('p'), { textContent: text }));
  box.hidden = false;
}

// ── Rendering ────────────────────────────────────────────────────────────────────────────────
const $ = (id) => document.getElementById(id);
const cartTotal = () =>
  Math.round(state.cart.reduce((sum, l) => sum + l.product.price * l.quantity, 0) * 100) / 100;
const cartSize = () => state.cart.reduce((n, l) => n + l.quantity, 0);

function renderProducts() {
  $('products').replaceChildren(
    ...PRODUCTS.map((product) => {
      const li = document.createElement('li');
      li.dataset.sku = product.sku;
      const view = Object.assign(document.createElement('button'), { textContent: 'View' });
      view.addEventListener('click', () => viewProduct(product));
      const add = Object.assign(document.createElement('button'), {
        textContent: 'Add to cart',
        className: 'add-to-cart',
      });
      add.addEventListener('click', () => addToCart(product));
      li.append(
        Object.assign(document.createElement('div'), { textContent: product.name }),
        Object.assign(document.createElement('div'), { textContent: `${product.price.toFixed(2)} €` }),
        view,
        add,
      );
      return li;
    }),
  );
}

function render() {
  const signedIn = state.user !== null;
  $('login-form').hidden = signedIn || openIdMode;
  $('openid-sign-in').hidden = signedIn || !openIdMode;
  $('signed-in').hidden = !signedIn;
  $('user-name').textContent = state.user ?? '';
  $('impersonate-own-token').hidden = !signedIn;
  for (const button of document.querySelectorAll('.add-to-cart')) button.disabled = !signedIn;
  $('cart').replaceChildren(
    ...state.cart.map(({ product, quantity }) => {
      const li = document.createElement('li');
      li.dataset.sku = product.sku;
      li.append(
        Object.assign(document.createElement('span'), { textContent: product.name }),
        Object.assign(document.createElement('span'), {
          className: 'quantity',
          textContent: ` × ${quantity}`,
        }),
        Object.assign(document.createElement('span'), {
          className: 'line-total',
          textContent: ` — ${(product.price * quantity).toFixed(2)} €`,
        }),
      );
      return li;
    }),
  );
  $('cart-total').textContent = cartTotal().toFixed(2);
  $('checkout').disabled = !signedIn || state.cart.length === 0;
  $('status-user').textContent = state.user ?? 'anonymous';
  renderStatus();
}

function renderStatus() {
  const expires = state.tokenExpiresAt && new Date(state.tokenExpiresAt);
  $('status-token').textContent = expires
    ? `${expires.toLocaleTimeString()} (${Math.round((expires.getTime() - Date.now()) / 1000)} s)`
    : 'no token yet';
  $('status-token').dataset.expiresAt = state.tokenExpiresAt ?? '';
  $('status-token-count').textContent = String(state.tokensFetched);
  const error = state.lastAuthError;
  $('status-auth-error').textContent = error
    ? `${error.code} (${error.reason}) for ${error.userIdentifier} at ${error.at}: ${error.message}`
    : 'none';
  $('status-stats').textContent = JSON.stringify(signet.stats(), null, 1);
  $('opt-out').checked = signet.isOptedOut();
}

$('flow').innerHTML =
  flow === 'provider'
    ? 'Tokens: <strong>tokenProvider</strong> · <a href="?flow=listener">switch to listener + passAuthenticationDetails</a>'
    : 'Tokens: <strong>listener + passAuthenticationDetails</strong> · <a href="?flow=provider">switch to tokenProvider</a>';
$('dashboard-link').href = config.dashboardUrl;
$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn($('login-user').value.trim());
});
$('logout').addEventListener('click', () => void signOut());
$('checkout').addEventListener('click', () => void checkOut());
$('impersonate').addEventListener('click', () => void impersonate('forged'));
$('impersonate-own-token').addEventListener('click', () => void impersonate('own'));
// Opting out deletes what is queued and stops all sending, in every tab, until opted in again.
$('opt-out').addEventListener('change', (event) => {
  if (event.currentTarget.checked) signet.optOut();
  else signet.optIn();
  renderStatus();
});

if (openIdMode) {
  $('intro').textContent =
    'A demo of Signet with an identity provider: you sign in at a local OpenID provider, and the page’s SDK sends the ID token it issued with every batch. Signet verifies it with the keys the provider publishes.';
}

// Back from a reload (or from the provider's sign-in page): the shop's session says who it is.
state.user = (await fetch('/api/me').then((res) => res.json())).user;
const backFromProvider = new URLSearchParams(location.search).has('signed_in');
if (backFromProvider)
  history.replaceState(null, '', location.pathname + (flow === 'listener' ? '?flow=listener' : ''));
if (state.user !== null && backFromProvider) {
  signet.identify(state.user, { name: state.user, last_sign_in: new Date().toISOString() });
  localStorage.setItem(SDK_USER_KEY, state.user);
  if (flow === 'listener') await passFreshToken();
  signet.track('Signed in');
} else if (state.user !== null) {
  signet.identify(state.user);
  localStorage.setItem(SDK_USER_KEY, state.user);
  if (flow === 'listener') await passFreshToken();
} else if (localStorage.getItem(SDK_USER_KEY) !== null) {
  await signet.logout();
  localStorage.removeItem(SDK_USER_KEY);
}
renderProducts();
render();
// A page view: the SDK fills in the url, path, referrer, title and search.
signet.page('Products');
setInterval(renderStatus, 500);
document.body.dataset.ready = 'true';
