/** Name rules shared by the protocol modules (kept apart so they can import it without a cycle). */
export const AGENT_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
// no dots: per-sandbox state files are <name>.json, <name>.egress.json, <name>.secrets.json
export const SANDBOX_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;
