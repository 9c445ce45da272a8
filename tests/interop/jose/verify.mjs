// Verifies ratchet access tokens with jose (createRemoteJWKSet + jwtVerify) through the JWKS a
// running key server serves, across an emergency rotation, a scheduled rotation and a key
// revocation, for EdDSA, ES256 and RS256. tests/interop/jose_test.go starts the server on loopback
// and runs this script with RATCHET_INTEROP_URL and RATCHET_INTEROP_ISSUER set; it exits
// non-zero if any check fails.
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader, generateKeyPair, SignJWT, errors } from 'jose';

const base = process.env.RATCHET_INTEROP_URL;
const issuer = process.env.RATCHET_INTEROP_ISSUER;
if (!base || !issuer) {
  console.error('RATCHET_INTEROP_URL and RATCHET_INTEROP_ISSUER must be set (run through tests/interop/jose_test.go)');
  process.exit(2);
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(err && err.stack ? err.stack : err).replaceAll('\n', '\n  ')}`);
  }
}

async function post(path) {
  const res = await fetch(base + path, { method: 'POST' });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

for (const alg of ['EdDSA', 'ES256', 'RS256']) {
  const p = '/' + alg.toLowerCase();
  const jwksURL = new URL(base + p + '/auth/jwt/jwks.json');
  // jose refetches the set when it meets an unknown kid, at most once per cooldownDuration
  // (default 30 s, below ratchet's 60 s signing delay). Real time barely moves here while the
  // server's clock jumps, so the cooldown is off; production keeps the default.
  const JWKS = createRemoteJWKSet(jwksURL, { cooldownDuration: 0 });
  const options = { issuer, algorithms: [alg] };
  const verify = async (token, keys = JWKS) => {
    const { payload, protectedHeader } = await jwtVerify(token, keys, options);
    assert.equal(protectedHeader.alg, alg);
    assert.equal(payload.sub, 'interop-user');
    assert.equal(typeof payload.sessionHandle, 'string');
    return protectedHeader.kid;
  };

  let t1, k1, k2, t3, k3;
  await check(`${alg}: a token verifies through createRemoteJWKSet`, async () => {
    t1 = (await post(p + '/issue')).accessToken;
    k1 = await verify(t1);
  });

  await check(`${alg}: the JWKS has public members only, alg, use=sig, and a max-age`, async () => {
    const res = await fetch(jwksURL);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /^max-age=\d+, must-revalidate$/);
    const { keys } = await res.json();
    assert.ok(keys.length >= 1);
    for (const k of keys) {
      assert.equal(k.alg, alg);
      assert.equal(k.use, 'sig');
      assert.ok(k.kid);
      for (const m of PRIVATE_MEMBERS) assert.equal(k[m], undefined, `private member ${m} published`);
    }
  });

  await check(`${alg}: an emergency rotation publishes the new key before it signs`, async () => {
    k2 = (await post(p + '/rotate')).kid;
    const { keys } = await (await fetch(jwksURL)).json();
    assert.deepEqual(keys.map((k) => k.kid).sort(), [k1, k2].sort());
    const t = (await post(p + '/issue')).accessToken;
    assert.equal(decodeProtectedHeader(t).kid, k1, 'signed with the new key during its signing delay');
  });

  await check(`${alg}: after the signing delay, a token of the new key verifies (unknown kid: refetch)`, async () => {
    await post(p + '/advance?seconds=60');
    const t2 = (await post(p + '/issue')).accessToken;
    assert.equal(await verify(t2), k2);
  });

  await check(`${alg}: a token of the old key still verifies after the rotation`, async () => {
    assert.equal(await verify(t1), k1);
  });

  await check(`${alg}: a scheduled rotation a week later`, async () => {
    await post(p + '/advance?seconds=' + 7 * 24 * 3600);
    await post(p + '/advance?seconds=60');
    t3 = (await post(p + '/issue')).accessToken;
    k3 = await verify(t3);
    assert.notEqual(k3, k2);
    assert.notEqual(k3, k1);
  });

  await check(`${alg}: a forged token (right kid, foreign key) is refused`, async () => {
    const { privateKey } = await generateKeyPair(alg, { extractable: false });
    const forged = await new SignJWT({ sub: 'interop-user', sessionHandle: 'x' })
      .setProtectedHeader({ alg, kid: k3, typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    await assert.rejects(verify(forged), errors.JWSSignatureVerificationFailed);
  });

  await check(`${alg}: a revoked key leaves the JWKS; a fresh key set refuses its tokens`, async () => {
    await post(p + '/revoke?kid=' + encodeURIComponent(k3));
    await assert.rejects(verify(t3, createRemoteJWKSet(jwksURL)), errors.JWKSNoMatchingKey);
    const t4 = (await post(p + '/issue')).accessToken;
    assert.notEqual(await verify(t4), k3);
  });
}

console.log(`jose interop: ${passed} checks passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
