"""The OpenID Connect relying party: discovery, the authorization request, the code exchange, the
ID token's checks and the userinfo call — the protocol, with no accounts in it (services/sso.py
decides who logs in).

Every call to a provider goes through the guarded client (services/egress.py): an organization's
admin types the issuer URL, so discovery, token, key and userinfo requests must not reach the
server's own network. A server-wide provider is the operator's own configuration, often a
Keycloak on the company network, so its calls may reach private addresses (``trusted``).
Redirects are never followed.

The ID token is checked with joserfc (a maintained JOSE library; no cryptography here): the
signature against the provider's published keys (fetched again once when a token names a key
not seen yet: keys rotate), an asymmetric algorithm the provider announces (never ``none`` or a
shared-secret HMAC), ``iss`` equal to the discovered issuer, ``aud`` containing our client id
(and ``azp`` equal to it when there are several audiences), ``exp`` in the future and ``iat``
not in the future (a minute of clock skew), and ``nonce`` equal to the one this log-in sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from lakeside.config import Settings
from lakeside.services import egress

log = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 60
MAX_DOCUMENT_BYTES = 256 * 1024
# Asymmetric signatures only: an HMAC would be keyed with the client secret, which an organization
# admin who configured the provider also knows.
ALLOWED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)


class OidcError(Exception):
    """A log-in that cannot go on; ``code`` is what the web client shows (SSO_* error codes)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.linking = False  # the caller was adding an identity to their account (settings)


@dataclass(frozen=True)
class ProviderConfig:
    key: str
    display_name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    allow_signup: bool
    link_by_email: bool = True
    link_by_phone: bool = True
    organization_id: int | None = None  # an organization's provider
    org_provider_id: int | None = None
    add_to_org: bool = False
    trusted: bool = False  # configured by the server's operator: may live on a private network


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._discovery: dict[str, tuple[float, dict[str, Any]]] = {}
        self._keys: dict[str, tuple[float, Any]] = {}

    def forget(self, issuer: str) -> None:
        """Drop what is cached for an issuer (its configuration changed)."""
        document = self._discovery.pop(issuer, None)
        if document is not None:
            self._keys.pop(str(document[1].get("jwks_uri", "")), None)

    async def _get_json(self, provider: ProviderConfig, url: str, what: str, **kwargs: Any) -> Any:
        try:
            response = await egress.send(
                self.settings,
                kwargs.pop("method", "GET"),
                url,
                allow_private=True if provider.trusted else None,
                max_bytes=MAX_DOCUMENT_BYTES,
                **kwargs,
            )
        except egress.EgressRefused as exc:
            raise OidcError("SSO_PROVIDER_UNREACHABLE", f"{what}: {exc}") from exc
        except Exception as exc:  # httpx errors, timeouts, a bad URL in a provider's document
            raise OidcError("SSO_PROVIDER_UNREACHABLE", f"{what}: {type(exc).__name__}: {exc}") from exc
        try:
            body = orjson.loads(response.body)
        except orjson.JSONDecodeError as exc:
            raise OidcError("SSO_PROVIDER_ERROR", f"{what}: HTTP {response.status}, not JSON") from exc
        if response.status != 200:
            error = body.get("error") if isinstance(body, dict) else None
            raise OidcError("SSO_PROVIDER_ERROR", f"{what}: HTTP {response.status} {error or ''}".strip())
        return body

    async def discover(self, provider: ProviderConfig) -> dict[str, Any]:
        cached = self._discovery.get(provider.issuer)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._get_json(provider, url, "discovery")
        if not isinstance(document, dict):
            raise OidcError("SSO_PROVIDER_ERROR", "discovery: not an object")
        # OpenID Connect Discovery 1.0 §4.3: the document's issuer is exactly the one asked for.
        if document.get("issuer") != provider.issuer:
            raise OidcError(
                "SSO_PROVIDER_ERROR",
                f"discovery: issuer {document.get('issuer')!r} is not {provider.issuer!r}",
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(field)
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise OidcError("SSO_PROVIDER_ERROR", f"discovery: no usable {field}")
        ttl = self.settings.oidc_discovery_ttl_seconds
        self._discovery[provider.issuer] = (time.monotonic() + ttl, document)
        return document

    @staticmethod
    def authorization_url(
        provider: ProviderConfig,
        document: dict[str, Any],
        *,
        state: str,
        nonce: str,
        verifier: str,
        redirect_uri: str,
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": provider.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
        endpoint = str(document["authorization_endpoint"])
        joiner = "&" if "?" in endpoint else "?"
        return endpoint + joiner + urlencode(params, quote_via=quote)

    async def exchange_code(
        self,
        provider: ProviderConfig,
        document: dict[str, Any],
        *,
        code: str,
        verifier: str,
        redirect_uri: str,
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if "client_secret_basic" in methods or "client_secret_post" not in methods:
            # RFC 6749 §2.3.1: each part form-encoded before joining.
            pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_id"] = provider.client_id
            form["client_secret"] = provider.client_secret
        tokens = await self._get_json(
            provider,
            str(document["token_endpoint"]),
            "token",
            method="POST",
            content=urlencode(form).encode(),
            headers=headers,
        )
        if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
            raise OidcError("SSO_PROVIDER_ERROR", "token: no id_token in the answer")
        return tokens

    async def _key_set(self, provider: ProviderConfig, jwks_uri: str, *, refresh: bool) -> Any:
        from joserfc.jwk import KeySet

        cached = self._keys.get(jwks_uri)
        if cached is not None and cached[0] > time.monotonic() and not refresh:
            return cached[1]
        body = await self._get_json(provider, jwks_uri, "keys")
        try:
            keys = KeySet.import_key_set(body)
        except Exception as exc:
            raise OidcError("SSO_PROVIDER_ERROR", f"keys: unusable key set ({exc})") from exc
        self._keys[jwks_uri] = (time.monotonic() + self.settings.oidc_discovery_ttl_seconds, keys)
        return keys

    async def validate_id_token(
        self, provider: ProviderConfig, document: dict[str, Any], id_token: str, *, nonce: str
    ) -> dict[str, Any]:
        from joserfc import errors as jose_errors
        from joserfc import jwt

        announced = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [name for name in ALLOWED_ALGORITHMS if name in announced] or ["RS256"]
        jwks_uri = str(document["jwks_uri"])
        token = None
        for refresh in (False, True):
            keys = await self._key_set(provider, jwks_uri, refresh=refresh)
            try:
                token = jwt.decode(id_token, keys, algorithms=algorithms)
                break
            except (jose_errors.InvalidKeyIdError, jose_errors.MissingKeyError, ValueError) as exc:
                if refresh:
                    raise OidcError("SSO_TOKEN_INVALID", f"id_token: no key to check it ({exc})") from exc
            except jose_errors.JoseError as exc:
                raise OidcError("SSO_TOKEN_INVALID", f"id_token: {exc.error}: {exc.description}") from exc
        assert token is not None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_SKEW_SECONDS,
            iss={"essential": True, "value": document["issuer"]},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except jose_errors.ExpiredTokenError as exc:
            raise OidcError("SSO_TOKEN_EXPIRED", "id_token: expired") from exc
        except jose_errors.JoseError as exc:
            raise OidcError("SSO_TOKEN_INVALID", f"id_token: {exc.error}: {exc.description}") from exc
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
            raise OidcError("SSO_TOKEN_INVALID", "id_token: several audiences and azp is not ours")
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise OidcError("SSO_TOKEN_INVALID", "id_token: the nonce is not this log-in's")
        return claims

    async def userinfo(
        self, provider: ProviderConfig, document: dict[str, Any], access_token: str, subject: str
    ) -> dict[str, Any]:
        """The userinfo endpoint's claims (many providers put e-mail and name only there); {} when
        the provider has none. Its ``sub`` must be the ID token's (OIDC Core §5.3.2)."""
        endpoint = document.get("userinfo_endpoint")
        if not isinstance(endpoint, str) or not access_token:
            return {}
        info = await self._get_json(
            provider,
            endpoint,
            "userinfo",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if not isinstance(info, dict) or info.get("sub") != subject:
            raise OidcError("SSO_TOKEN_INVALID", "userinfo: not the ID token's subject")
        return info
