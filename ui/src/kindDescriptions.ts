// What each entity kind is, in one sentence, as Konnect's empty lists say it before offering to
// create the first one.
import type { EntityKind } from './vocabulary'

export const KIND_DESCRIPTIONS: Record<EntityKind, string> = {
  services: 'Gateway services are the upstream APIs and microservices Kong proxies requests to.',
  routes: 'Routes decide which requests reach a gateway service: by path, host, method or header.',
  consumers: 'Consumers are the users and applications that call your APIs, known by credentials.',
  consumer_groups:
    'Consumer groups give many consumers the same plugins, such as one rate limit per tier.',
  plugins: 'Plugins add authentication, traffic control, transformations and logging.',
  upstreams: "Upstreams balance a gateway service's traffic over targets, with health checks.",
  targets: 'Targets are the hosts and ports an upstream balances traffic over, each with a weight.',
  certificates: 'Certificates are the TLS certificates and keys Kong presents, chosen by SNI.',
  ca_certificates: 'CA certificates are the roots Kong trusts when it verifies a peer.',
  snis: 'SNIs map a server name to the certificate Kong presents for it.',
  vaults: 'Vaults keep secrets out of the configuration; fields refer to them as {vault://…}.',
  keys: 'Keys are JWK or PEM keys that plugins sign and verify tokens with.',
  'key-sets': 'Key sets group keys, as a JSON Web Key Set does.',
  'key-auths': 'Key authentication credentials: API keys the consumer sends with its requests.',
  'basic-auths': 'Basic authentication credentials: a username and a password.',
  jwts: "JWT credentials: the key (iss) and the secret or public key the consumer's tokens use.",
  'hmac-auths': "HMAC credentials: a username and a secret that sign the consumer's requests.",
  acls: 'ACL groups the consumer belongs to, which the ACL plugin allows or denies.',
}
