// Generated from crates/console/src/vocabulary.rs by `cargo test -p console`. Do not edit.
import type { EntityKind } from './EntityKind'
import type { ExportFormat } from './ExportFormat'
import type { KindInfo } from './KindInfo'
import type { TimeFrame } from './TimeFrame'

/** Every entity kind, in decK's order (referenced kinds first). */
export const ENTITY_KINDS: KindInfo[] = [
  {
    "kind": "certificates",
    "path": "certificates",
    "deck_key": "certificates",
    "singular": "certificate",
    "plural": "Certificates",
    "view_order": 6,
    "label_fields": [],
    "parent": null
  },
  {
    "kind": "ca_certificates",
    "path": "ca_certificates",
    "deck_key": "ca_certificates",
    "singular": "CA certificate",
    "plural": "CA certificates",
    "view_order": null,
    "label_fields": [],
    "parent": null
  },
  {
    "kind": "snis",
    "path": "snis",
    "deck_key": "snis",
    "singular": "SNI",
    "plural": "SNIs",
    "view_order": 7,
    "label_fields": [
      "name"
    ],
    "parent": null
  },
  {
    "kind": "services",
    "path": "services",
    "deck_key": "services",
    "singular": "gateway service",
    "plural": "Gateway services",
    "view_order": 0,
    "label_fields": [
      "name"
    ],
    "parent": null
  },
  {
    "kind": "routes",
    "path": "routes",
    "deck_key": "routes",
    "singular": "route",
    "plural": "Routes",
    "view_order": 1,
    "label_fields": [
      "name"
    ],
    "parent": null
  },
  {
    "kind": "consumers",
    "path": "consumers",
    "deck_key": "consumers",
    "singular": "consumer",
    "plural": "Consumers",
    "view_order": 2,
    "label_fields": [
      "username",
      "custom_id"
    ],
    "parent": null
  },
  {
    "kind": "consumer_groups",
    "path": "consumer_groups",
    "deck_key": "consumer_groups",
    "singular": "consumer group",
    "plural": "Consumer groups",
    "view_order": 3,
    "label_fields": [
      "name"
    ],
    "parent": null
  },
  {
    "kind": "upstreams",
    "path": "upstreams",
    "deck_key": "upstreams",
    "singular": "upstream",
    "plural": "Upstreams",
    "view_order": 5,
    "label_fields": [
      "name"
    ],
    "parent": null
  },
  {
    "kind": "targets",
    "path": "targets",
    "deck_key": "targets",
    "singular": "target",
    "plural": "Targets",
    "view_order": null,
    "label_fields": [
      "target"
    ],
    "parent": [
      "upstream",
      "upstreams"
    ]
  },
  {
    "kind": "key-sets",
    "path": "key-sets",
    "deck_key": "key_sets",
    "singular": "key set",
    "plural": "Key sets",
    "view_order": 10,
    "label_fields": [
      "name"
    ],
    "parent": null
  },
  {
    "kind": "keys",
    "path": "keys",
    "deck_key": "keys",
    "singular": "key",
    "plural": "Keys",
    "view_order": 9,
    "label_fields": [
      "name",
      "kid"
    ],
    "parent": null
  },
  {
    "kind": "vaults",
    "path": "vaults",
    "deck_key": "vaults",
    "singular": "vault",
    "plural": "Vaults",
    "view_order": 8,
    "label_fields": [
      "prefix"
    ],
    "parent": null
  },
  {
    "kind": "key-auths",
    "path": "key-auths",
    "deck_key": "keyauth_credentials",
    "singular": "key-auth credential",
    "plural": "Key-auth credentials",
    "view_order": null,
    "label_fields": [],
    "parent": [
      "consumer",
      "consumers"
    ]
  },
  {
    "kind": "basic-auths",
    "path": "basic-auths",
    "deck_key": "basicauth_credentials",
    "singular": "basic-auth credential",
    "plural": "Basic-auth credentials",
    "view_order": null,
    "label_fields": [
      "username"
    ],
    "parent": [
      "consumer",
      "consumers"
    ]
  },
  {
    "kind": "jwts",
    "path": "jwts",
    "deck_key": "jwt_secrets",
    "singular": "JWT credential",
    "plural": "JWT credentials",
    "view_order": null,
    "label_fields": [
      "key"
    ],
    "parent": [
      "consumer",
      "consumers"
    ]
  },
  {
    "kind": "hmac-auths",
    "path": "hmac-auths",
    "deck_key": "hmacauth_credentials",
    "singular": "HMAC credential",
    "plural": "HMAC credentials",
    "view_order": null,
    "label_fields": [
      "username"
    ],
    "parent": [
      "consumer",
      "consumers"
    ]
  },
  {
    "kind": "acls",
    "path": "acls",
    "deck_key": "acls",
    "singular": "ACL group",
    "plural": "ACL groups",
    "view_order": null,
    "label_fields": [
      "group"
    ],
    "parent": [
      "consumer",
      "consumers"
    ]
  },
  {
    "kind": "plugins",
    "path": "plugins",
    "deck_key": "plugins",
    "singular": "plugin",
    "plural": "Plugins",
    "view_order": 4,
    "label_fields": [
      "instance_name",
      "name"
    ],
    "parent": null
  }
]

export const TIME_FRAMES: TimeFrame[] = [
  "15m",
  "1h",
  "6h",
  "12h",
  "24h",
  "7d",
  "30d"
]

export const ALL_KIND_NAMES: EntityKind[] = [
  "certificates",
  "ca_certificates",
  "snis",
  "services",
  "routes",
  "consumers",
  "consumer_groups",
  "upstreams",
  "targets",
  "key-sets",
  "keys",
  "vaults",
  "key-auths",
  "basic-auths",
  "jwts",
  "hmac-auths",
  "acls",
  "plugins"
]

export const EXPORT_FORMATS: ExportFormat[] = [
  "yaml",
  "json"
]
