// A real OpenID Provider for lakeside's SSO tests: panva's oidc-provider (OpenID Certified),
// configured the way a company's Keycloak or Authing would be for a confidential web client:
// authorization code only, PKCE required, client_secret_basic, RS256 ID tokens, claims from
// the userinfo endpoint. Its own development log-in form (any login, any password) stands in for
// the company directory: the login typed becomes the account's `sub`.
//
//   node provider.mjs PORT
//
// Prints "ready ISSUER" on stdout once it listens. Two test-only routes (JSON bodies) let the
// test shape the world before a log-in:
//   POST /_test/clients   {"client_id", "client_secret", "redirect_uris": [...]}  registers a client
//   POST /_test/accounts  {"SUB": {claims...}}                                     sets accounts' claims
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const host = '127.0.0.1';

// The provider's storage (codes, sessions, grants, dynamic clients), in memory.
const stores = new Map();
class MemoryAdapter {
  constructor(name) {
    this.name = name;
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }
  async upsert(id, payload) { this.store.set(id, { ...payload }); }
  async find(id) { return this.store.get(id); }
  async findByUserCode() { return undefined; }
  async findByUid(uid) {
    for (const payload of this.store.values()) if (payload.uid === uid) return payload;
    return undefined;
  }
  async consume(id) { const p = this.store.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, payload] of this.store) if (payload.grantId === grantId) this.store.delete(id);
  }
}

const accounts = new Map();

function start(issuer) {
  const provider = new Provider(issuer, {
    adapter: MemoryAdapter,
    clients: [],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      profile: ['name', 'preferred_username', 'locale'],
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() { return { ...(accounts.get(id) || {}), sub: id }; },
      };
    },
    // The company has already approved lakeside for everyone: no consent screen.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile phone');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username', 'phone_number',
        'phone_number_verified']);
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;
  return provider;
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

let provider;
const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/_test/clients') {
      const body = await readJson(req);
      const metadata = {
        client_id: body.client_id,
        client_secret: body.client_secret,
        redirect_uris: body.redirect_uris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: body.token_endpoint_auth_method || 'client_secret_basic',
      };
      await new MemoryAdapter('Client').upsert(body.client_id, metadata);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/_test/accounts') {
      const body = await readJson(req);
      for (const [sub, claims] of Object.entries(body)) accounts.set(sub, claims);
      res.writeHead(204).end();
      return;
    }
    provider.callback()(req, res);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err && err.stack || err));
  }
});

server.listen(port, host, () => {
  const issuer = `http://${host}:${server.address().port}`;
  provider = start(issuer);
  process.stdout.write(`ready ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
