-- Canvas secrets sealed at rest (trace-store/src/sealed.rs) and the audit
-- log of their use (secrets.rs). Keep in step with ../postgres/0004_sealed_secrets.sql.

-- 0: `value` is still the plain text of a store from before this migration;
-- the server seals such rows at its first start with a key
-- (`Store::use_secret_key`). 1: `value` is hex of nonce and ciphertext.
ALTER TABLE secrets ADD COLUMN sealed BIGINT NOT NULL DEFAULT 0;

-- Every read of a secret's value by a run the editor API started, and every
-- set or delete through the editor API. `client` is the address, when known.
CREATE TABLE secret_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms BIGINT NOT NULL,
    canvas TEXT NOT NULL,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    client TEXT
);
CREATE INDEX secret_audit_canvas ON secret_audit (canvas, id);
