# Read-only access to the stack's secrets (KV v2 mounted at secret/). Nothing else.
path "secret/data/cdc/*" {
  capabilities = ["read"]
}
path "secret/metadata/cdc/*" {
  capabilities = ["read", "list"]
}
